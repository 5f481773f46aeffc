import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { PasswordStrengthMeter, usePasswordStrength } from '../../components/PasswordStrength';
import { applyServerErrors, humanIssue } from '../../forms';
import { useSession } from '../../stores/session';
import { FormDialog } from './FormDialog';
import { weakPasswordMessage } from './passwords';

const changeForm = z
  .object({ currentPassword: password, newPassword: password, confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, {
    message: 'The two passwords are not the same',
    path: ['confirm'],
  })
  .refine((v) => v.newPassword !== v.currentPassword, {
    message: 'Choose a password different from the current one',
    path: ['newPassword'],
  });
type ChangeInput = z.input<typeof changeForm>;
type ChangeOutput = z.output<typeof changeForm>;

/** Any signed-in member of staff changes their own password; only their own key is re-wrapped. */
export function ChangePasswordDialog({ onClose }: { onClose(): void }) {
  const session = useSession((s) => s.session);
  const [problem, setProblem] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const {
    register,
    handleSubmit,
    control,
    setError,
    resetField,
    formState: { errors, isSubmitting },
  } = useForm<ChangeInput, unknown, ChangeOutput>({
    resolver: zodResolver(changeForm, { error: humanIssue }),
    defaultValues: { currentPassword: '', newPassword: '', confirm: '' },
  });
  const typed = useWatch({ control, name: 'newPassword' }) ?? '';
  const userInputs = useMemo(
    () => (session ? [session.username, session.displayName] : []),
    [session],
  );
  const strength = usePasswordStrength(typed, userInputs);

  const onSubmit = async (values: ChangeOutput) => {
    setProblem(null);
    const weak = await weakPasswordMessage(values.newPassword, userInputs);
    if (weak) {
      setError('newPassword', { type: 'weak', message: weak });
      return;
    }
    try {
      await api.call('session.changePassword', {
        currentPassword: values.currentPassword,
        newPassword: values.newPassword,
      });
      setChanged(true);
    } catch (e) {
      resetField('currentPassword', { keepError: true });
      setProblem(
        applyServerErrors(e, setError, {
          isField: (p) => p === 'currentPassword' || p === 'newPassword' || p === 'confirm',
        }),
      );
    }
  };

  if (changed)
    return (
      <FormDialog title="Password changed" onClose={onClose}>
        <p role="status">Your password was changed. Use the new one next time you sign in.</p>
        <div className="dialog__actions">
          <button type="button" className="button button--primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </FormDialog>
    );

  return (
    <FormDialog title="Change my password" onClose={onClose}>
      <p className="muted">
        Only your own key is re-wrapped. Use the new password next time you sign in or unlock.
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="stack">
        {/* Lets password managers file the new password under the right account. */}
        <input
          type="text"
          name="username"
          autoComplete="username"
          value={session?.username ?? ''}
          readOnly
          hidden
        />
        <Field
          id="change-current"
          label="Current password"
          required
          error={errorAt(errors, 'currentPassword')}
        >
          {(a) => (
            <input
              {...a}
              {...register('currentPassword')}
              type="password"
              autoComplete="current-password"
              autoFocus
            />
          )}
        </Field>
        <Field
          id="change-new"
          label="New password"
          required
          hint={<PasswordStrengthMeter id="change-strength" password={typed} strength={strength} />}
          error={errorAt(errors, 'newPassword')}
        >
          {(a) => (
            <input
              {...a}
              {...register('newPassword')}
              type="password"
              autoComplete="new-password"
            />
          )}
        </Field>
        <Field
          id="change-confirm"
          label="Confirm new password"
          required
          error={errorAt(errors, 'confirm')}
        >
          {(a) => (
            <input {...a} {...register('confirm')} type="password" autoComplete="new-password" />
          )}
        </Field>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </FormDialog>
  );
}
