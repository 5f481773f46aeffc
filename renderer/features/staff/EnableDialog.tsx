import { useMemo, useState } from 'react';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import type { StaffMember } from '../../../shared/ipc/staff';
import { api } from '../../api/client';
import { FormActions } from '../../components/FormActions';
import { NewPasswordFields, refusedAsWeak } from '../../components/NewPasswordFields';
import { ErrorNotice } from '../../components/Notice';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { FormDialog } from './FormDialog';

const enableForm = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, {
    message: 'The two passwords are not the same',
    path: ['confirm'],
  });
type EnableOutput = z.output<typeof enableForm>;

/**
 * Lets a disabled account (or one whose key was lost) sign in again. Its old key was deleted, so
 * it needs a new first password: the core makes it a new key.
 */
export function EnableDialog({
  member,
  onDone,
  onCancel,
}: {
  member: StaffMember;
  onDone(member: StaffMember, note: string): void;
  onCancel(): void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const form = useZodForm(enableForm, { password: '', confirm: '' });
  const {
    handleSubmit,
    setError,
    formState: { isSubmitting },
  } = form;
  const userInputs = useMemo(
    () => [member.username, member.displayName],
    [member.username, member.displayName],
  );
  const reactivating = member.status === 'disabled';

  const onSubmit = async (values: EnableOutput) => {
    setProblem(null);
    if (await refusedAsWeak(setError, 'password', values.password, userInputs)) return;
    try {
      const enabled = await api.call('staff.enable', { id: member.id, password: values.password });
      onDone(enabled, `${enabled.displayName} can sign in again with the new first password.`);
    } catch (e) {
      setProblem(
        applyServerErrors(e, setError, { isField: (p) => p === 'password' || p === 'confirm' }),
      );
    }
  };

  return (
    <FormDialog
      title={
        reactivating ? `Enable ${member.displayName}` : `New password for ${member.displayName}`
      }
      onClose={onCancel}
    >
      <p>
        {reactivating
          ? 'Their old key was deleted when the account was disabled. Choose a first password for them; they can change it after signing in.'
          : 'This account has no key on this workstation. Choose a first password for them; they can change it after signing in.'}
      </p>
      <ErrorNotice message={problem} />
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="stack">
        <NewPasswordFields
          form={form}
          name="password"
          confirmName="confirm"
          id="enable-password"
          confirmId="enable-confirm"
          label="New first password"
          confirmLabel="Confirm password"
          required
          autoFocus
          userInputs={userInputs}
        />
        <FormActions
          variant="dialog"
          busy={isSubmitting}
          submitLabel={reactivating ? 'Enable account' : 'Set password'}
          busyLabel="Saving…"
          back={{ label: 'Cancel', onClick: onCancel }}
        />
      </form>
    </FormDialog>
  );
}
