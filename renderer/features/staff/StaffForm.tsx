import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password, username } from '../../../shared/domain/clinic';
import { requiredText } from '../../../shared/domain/common';
import type { StaffMember, StaffPatch } from '../../../shared/ipc/staff';
import { ROLE_LABELS, ROLES } from '../../../shared/roles';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { PasswordStrengthMeter, usePasswordStrength } from '../../components/PasswordStrength';
import { applyServerErrors, humanIssue } from '../../forms';
import { FormDialog } from './FormDialog';
import { ROLE_HINTS } from './labels';
import { weakPasswordMessage } from './passwords';
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
type FormInput = z.input<typeof addForm>;
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
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<FormInput, unknown, FormOutput>({
    resolver: zodResolver(editing ? editForm : addForm, { error: humanIssue }),
    defaultValues: {
      displayName: editing?.displayName ?? '',
      username: editing?.username ?? '',
      role: editing?.role ?? 'receptionist',
      providerId: editing?.providerId ?? '',
      password: '',
      confirm: '',
    },
  });
  const [typed = '', typedUsername = '', typedName = '', role = 'receptionist'] = useWatch({
    control,
    name: ['password', 'username', 'displayName', 'role'],
  });
  const userInputs = useMemo(
    () => [typedUsername, typedName].filter(Boolean),
    [typedUsername, typedName],
  );
  const strength = usePasswordStrength(editing ? '' : typed, userInputs);
  // A retired provider stays choosable only for the account already linked to it.
  const choices = providers.filter((p) => p.active || p.id === editing?.providerId);

  const onSubmit = async (values: FormOutput) => {
    setProblem(null);
    const providerId = values.providerId || null;
    try {
      if (!editing) {
        const weak = await weakPasswordMessage(values.password, userInputs);
        if (weak) {
          setError('password', { type: 'weak', message: weak });
          return;
        }
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
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
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
            <>
              <Field
                id="staff-password"
                label="First password"
                required
                hint={
                  <>
                    <PasswordStrengthMeter
                      id="staff-password-strength"
                      password={typed}
                      strength={strength}
                    />
                    Tell them in person; they can change it from their name in the top bar.
                  </>
                }
                error={errorAt(errors, 'password')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('password')}
                    type="password"
                    autoComplete="new-password"
                  />
                )}
              </Field>
              <Field
                id="staff-confirm"
                label="Confirm first password"
                required
                error={errorAt(errors, 'confirm')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('confirm')}
                    type="password"
                    autoComplete="new-password"
                  />
                )}
              </Field>
            </>
          )}
        </div>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Saving…' : editing ? 'Save changes' : 'Add member of staff'}
          </button>
        </div>
      </form>
    </FormDialog>
  );
}
