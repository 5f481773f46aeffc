import { useMemo, useState } from 'react';
import { useWatch } from 'react-hook-form';
import { z } from 'zod';
import { password, username } from '../../../shared/domain/clinic';
import { requiredText } from '../../../shared/domain/common';
import type { StaffMember, StaffPatch } from '../../../shared/ipc/staff';
import { ROLE_LABELS, ROLES } from '../../../shared/roles';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { NewPasswordFields, refusedAsWeak } from '../../components/NewPasswordFields';
import { ErrorNotice } from '../../components/Notice';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { FormDialog } from './FormDialog';
import { ROLE_HINTS } from './labels';
import { useStaff } from './store';

const member = {
  displayName: requiredText(120, 'Full name'),
  username,
  role: z.enum(ROLES, { message: 'Choose a role' }),
  /** '' is "not a clinician on the book". */
  providerId: z.string(),
};

/** One shape for adding and editing; only adding asks for (and checks) the first password. */
const staffForm = (adding: boolean) =>
  z.object({ ...member, password: z.string(), confirm: z.string() }).superRefine((v, ctx) => {
    if (!adding) return;
    const first = password.safeParse(v.password);
    if (!first.success)
      ctx.addIssue({
        code: 'custom',
        message: first.error.issues[0]?.message ?? 'Enter a password',
        path: ['password'],
      });
    else if (v.password !== v.confirm)
      ctx.addIssue({
        code: 'custom',
        message: 'The two passwords are not the same',
        path: ['confirm'],
      });
  });
const addForm = staffForm(true);
const editForm = staffForm(false);
type FormOutput = z.output<typeof addForm>;

const FIELDS = ['displayName', 'username', 'role', 'providerId', 'password', 'confirm'];

/** Add a member of staff (with a first password) or change one's name, username, role or link. */
export function StaffForm({
  editing,
  onDone,
  onCancel,
}: {
  editing: StaffMember | null;
  onDone(member: StaffMember, note: string): void;
  onCancel(): void;
}) {
  const providers = useStaff((s) => s.providers);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useZodForm(editing ? editForm : addForm, {
    displayName: editing?.displayName ?? '',
    username: editing?.username ?? '',
    role: editing?.role ?? 'receptionist',
    providerId: editing?.providerId ?? '',
    password: '',
    confirm: '',
  });
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = form;
  const [typedUsername = '', typedName = '', role = 'receptionist'] = useWatch({
    control,
    name: ['username', 'displayName', 'role'],
  });
  const userInputs = useMemo(
    () => [typedUsername, typedName].filter(Boolean),
    [typedUsername, typedName],
  );
  // A retired provider stays choosable only for the account already linked to it.
  const choices = providers.filter((p) => p.active || p.id === editing?.providerId);

  const onSubmit = async (values: FormOutput) => {
    setProblem(null);
    const providerId = values.providerId || null;
    try {
      if (!editing) {
        if (await refusedAsWeak(setError, 'password', values.password, userInputs)) return;
        const added = await api.call('staff.add', {
          displayName: values.displayName,
          username: values.username,
          role: values.role,
          providerId,
          password: values.password,
        });
        onDone(added, `${added.displayName} can now sign in as “${added.username}”.`);
        return;
      }
      const patch: StaffPatch = {};
      if (values.displayName !== editing.displayName) patch.displayName = values.displayName;
      if (values.username !== editing.username) patch.username = values.username;
      if (values.role !== editing.role) patch.role = values.role;
      if (providerId !== editing.providerId) patch.providerId = providerId;
      if (Object.keys(patch).length === 0) {
        onCancel();
        return;
      }
      const updated = await api.call('staff.update', { id: editing.id, patch });
      onDone(updated, `${updated.displayName}’s account was saved.`);
    } catch (e) {
      setProblem(
        applyServerErrors(e, setError, {
          stripPrefixes: ['patch'],
          isField: (p) => FIELDS.includes(p),
        }),
      );
    }
  };

  return (
    <FormDialog
      title={editing ? `Edit ${editing.displayName}` : 'Add a member of staff'}
      onClose={onCancel}
      wide
    >
      <ErrorNotice message={problem} />
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="staff-form">
        <div className="grid grid--2">
          <Field id="staff-name" label="Full name" required error={errorAt(errors, 'displayName')}>
            {(a) => <input {...a} {...register('displayName')} autoComplete="off" autoFocus />}
          </Field>
          <Field id="staff-username" label="Username" required error={errorAt(errors, 'username')}>
            {(a) => (
              <input
                {...a}
                {...register('username')}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
              />
            )}
          </Field>
          <Field
            id="staff-role"
            label="Role"
            required
            hint={ROLE_HINTS[role]}
            error={errorAt(errors, 'role')}
          >
            {(a) => (
              <select {...a} {...register('role')}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_LABELS[r]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id="staff-provider"
            label="Books as provider"
            hint={
              choices.length === 0
                ? 'No providers are set up in the appointment book yet.'
                : 'The clinician on the appointment book this account works as.'
            }
            error={errorAt(errors, 'providerId')}
          >
            {(a) => (
              <select {...a} {...register('providerId')}>
                <option value="">Not a provider</option>
                {choices.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                    {p.active ? '' : ' (retired)'}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {editing ? null : (
            <NewPasswordFields
              form={form}
              name="password"
              confirmName="confirm"
              id="staff-password"
              confirmId="staff-confirm"
              label="First password"
              confirmLabel="Confirm first password"
              required
              userInputs={userInputs}
              note="Tell them in person; they can change it from their name in the top bar."
            />
          )}
        </div>
        <FormActions
          variant="dialog"
          busy={isSubmitting}
          submitLabel={editing ? 'Save changes' : 'Add member of staff'}
          busyLabel="Saving…"
          back={{ label: 'Cancel', onClick: onCancel }}
        />
      </form>
    </FormDialog>
  );
}
