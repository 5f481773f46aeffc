import { useMemo, useState } from 'react';
import { useWatch } from 'react-hook-form';
import { z } from 'zod';
import { password, username } from '../../../shared/domain/clinic';
import { AppError } from '../../../shared/errors';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { NewPasswordFields, refusedAsWeak } from '../../components/NewPasswordFields';
import { ErrorNotice } from '../../components/Notice';
import { SignInForm } from '../../components/SignInForm';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { useSession } from '../../stores/session';

const recoverForm = z
  .object({
    recoveryKey: z.string().trim().min(1, 'Enter the recovery key').max(200),
    username,
    newPassword: password,
    confirm: z.string(),
  })
  .refine((v) => v.newPassword === v.confirm, {
    message: 'The two passwords are not the same',
    path: ['confirm'],
  });
type RecoverOutput = z.output<typeof recoverForm>;

export function LoginScreen() {
  const [mode, setMode] = useState<'login' | 'recover'>('login');
  const clinic = useSession((s) => s.clinic);
  return (
    <main className="welcome">
      <div className="welcome__card">
        <p className="welcome__brand">Enamel</p>
        {mode === 'login' ? (
          <>
            <h1>Sign in{clinic?.name ? ` to ${clinic.name}` : ''}</h1>
            <SignInForm
              idPrefix="login"
              submitLabel="Sign in"
              busyLabel="Signing in…"
              other={{ label: 'Use recovery key', onClick: () => setMode('recover') }}
            />
          </>
        ) : (
          <RecoverForm onBack={() => setMode('login')} />
        )}
      </div>
    </main>
  );
}

function RecoverForm({ onBack }: { onBack(): void }) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useZodForm(recoverForm, {
    recoveryKey: '',
    username: '',
    newPassword: '',
    confirm: '',
  });
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = form;
  const typedUsername = useWatch({ control, name: 'username' }) ?? '';
  const userInputs = useMemo(() => (typedUsername ? [typedUsername] : []), [typedUsername]);

  const onSubmit = async (values: RecoverOutput) => {
    setProblem(null);
    if (await refusedAsWeak(setError, 'newPassword', values.newPassword, userInputs)) return;
    try {
      await api.call('session.recover', {
        recoveryKey: values.recoveryKey,
        username: values.username,
        newPassword: values.newPassword,
      });
      await refresh();
    } catch (e) {
      const message = applyServerErrors(e, setError, {
        isField: (p) => p === 'recoveryKey' || p === 'username' || p === 'newPassword',
      });
      setProblem(e instanceof AppError && e.code === 'WRONG_CREDENTIALS' ? e.message : message);
    }
  };

  return (
    <>
      <h1>Use the recovery key</h1>
      <p className="lead">
        The recovery key was shown once when this clinic was set up. It lets you choose a new
        password for a staff account.
      </p>
      <ErrorNotice message={problem} />
      <form onSubmit={handleSubmit(onSubmit)} noValidate>
        <Field id="recover-key" label="Recovery key" error={errorAt(errors, 'recoveryKey')}>
          {(a) => (
            <textarea
              {...a}
              {...register('recoveryKey')}
              rows={2}
              spellCheck={false}
              autoComplete="off"
              className="mono"
              autoFocus
            />
          )}
        </Field>
        <Field id="recover-username" label="Username" error={errorAt(errors, 'username')}>
          {(a) => (
            <input
              {...a}
              {...register('username')}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
            />
          )}
        </Field>
        <NewPasswordFields
          form={form}
          name="newPassword"
          confirmName="confirm"
          id="recover-password"
          confirmId="recover-confirm"
          label="New password"
          confirmLabel="Confirm new password"
          userInputs={userInputs}
        />
        <FormActions
          variant="page"
          busy={isSubmitting}
          submitLabel="Set new password and sign in"
          busyLabel="Opening…"
          back={{ label: 'Back to sign in', onClick: onBack }}
        />
      </form>
    </>
  );
}
