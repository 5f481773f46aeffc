import { useMemo, useState } from 'react';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { NewPasswordFields, refusedAsWeak } from '../../components/NewPasswordFields';
import { ErrorNotice } from '../../components/Notice';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { useSession } from '../../stores/session';
import { FormDialog } from './FormDialog';

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
type ChangeOutput = z.output<typeof changeForm>;

/** Any signed-in member of staff changes their own password; only their own key is re-wrapped. */
export function ChangePasswordDialog({ onClose }: { onClose(): void }) {
  const session = useSession((s) => s.session);
  const [problem, setProblem] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const form = useZodForm(changeForm, { currentPassword: '', newPassword: '', confirm: '' });
  const {
    register,
    handleSubmit,
    setError,
    resetField,
    formState: { errors, isSubmitting },
  } = form;
  const userInputs = useMemo(
    () => (session ? [session.username, session.displayName] : []),
    [session],
  );

  const onSubmit = async (values: ChangeOutput) => {
    setProblem(null);
    if (await refusedAsWeak(setError, 'newPassword', values.newPassword, userInputs)) return;
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
      <ErrorNotice message={problem} />
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
        <NewPasswordFields
          form={form}
          name="newPassword"
          confirmName="confirm"
          id="change-new"
          confirmId="change-confirm"
          label="New password"
          confirmLabel="Confirm new password"
          required
          userInputs={userInputs}
        />
        <FormActions
          variant="dialog"
          busy={isSubmitting}
          submitLabel="Change password"
          busyLabel="Changing…"
          back={{ label: 'Cancel', onClick: onClose }}
        />
      </form>
    </FormDialog>
  );
}
