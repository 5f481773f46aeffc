import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import type { StaffMember } from '../../../shared/ipc/staff';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { PasswordStrengthMeter, usePasswordStrength } from '../../components/PasswordStrength';
import { applyServerErrors, humanIssue } from '../../forms';
import { FormDialog } from './FormDialog';
import { weakPasswordMessage } from './passwords';

const enableForm = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, {
    message: 'The two passwords are not the same',
    path: ['confirm'],
  });
type EnableInput = z.input<typeof enableForm>;
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
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<EnableInput, unknown, EnableOutput>({
    resolver: zodResolver(enableForm, { error: humanIssue }),
    defaultValues: { password: '', confirm: '' },
  });
  const typed = useWatch({ control, name: 'password' }) ?? '';
  const userInputs = useMemo(
    () => [member.username, member.displayName],
    [member.username, member.displayName],
  );
  const strength = usePasswordStrength(typed, userInputs);
  const reactivating = member.status === 'disabled';

  const onSubmit = async (values: EnableOutput) => {
    setProblem(null);
    const weak = await weakPasswordMessage(values.password, userInputs);
    if (weak) {
      setError('password', { type: 'weak', message: weak });
      return;
    }
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
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="stack">
        <Field
          id="enable-password"
          label="New first password"
          required
          hint={<PasswordStrengthMeter id="enable-strength" password={typed} strength={strength} />}
          error={errorAt(errors, 'password')}
        >
          {(a) => (
            <input
              {...a}
              {...register('password')}
              type="password"
              autoComplete="new-password"
              autoFocus
            />
          )}
        </Field>
        <Field
          id="enable-confirm"
          label="Confirm password"
          required
          error={errorAt(errors, 'confirm')}
        >
          {(a) => (
            <input {...a} {...register('confirm')} type="password" autoComplete="new-password" />
          )}
        </Field>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Saving…' : reactivating ? 'Enable account' : 'Set password'}
          </button>
        </div>
      </form>
    </FormDialog>
  );
}
