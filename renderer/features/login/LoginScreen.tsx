import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password, username } from '../../../shared/domain/clinic';
import { AppError } from '../../../shared/errors';
import { api, messageOf } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { PasswordStrengthMeter, usePasswordStrength } from '../../components/PasswordStrength';
import { applyServerErrors, humanIssue } from '../../forms';
import { useSession } from '../../stores/session';

const loginForm = z.object({ username, password });
type LoginInput = z.input<typeof loginForm>;
type LoginOutput = z.output<typeof loginForm>;

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
type RecoverInput = z.input<typeof recoverForm>;
type RecoverOutput = z.output<typeof recoverForm>;

/** Sign-in failures in words a receptionist can act on. */
export function loginProblem(error: unknown): string {
  if (error instanceof AppError) {
    switch (error.code) {
      case 'WRONG_CREDENTIALS':
        return 'The username or password is not right. Check Caps Lock and try again.';
      case 'TOO_MANY_ATTEMPTS':
        return 'Too many attempts. Wait a minute before trying again.';
      case 'NOT_SET_UP':
        return 'This workstation is not set up yet.';
      case 'STORE_WRONG_KEY':
      case 'STORE_CORRUPT':
      case 'STORE_NOT_ENCRYPTED':
        return `${error.message} Ask your practice manager for help.`;
      default:
        return error.message;
    }
  }
  return messageOf(error);
}

export function LoginScreen() {
  const [mode, setMode] = useState<'login' | 'recover'>('login');
  const clinic = useSession((s) => s.clinic);
  return (
    <main className="welcome">
      <div className="welcome__card">
        <p className="welcome__brand">Enamel</p>
        {mode === 'login' ? (
          <LoginForm clinicName={clinic?.name ?? null} onRecover={() => setMode('recover')} />
        ) : (
          <RecoverForm onBack={() => setMode('login')} />
        )}
      </div>
    </main>
  );
}

function LoginForm({ clinicName, onRecover }: { clinicName: string | null; onRecover(): void }) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setFocus,
    resetField,
    formState: { errors, isSubmitting },
  } = useForm<LoginInput, unknown, LoginOutput>({
    resolver: zodResolver(loginForm, { error: humanIssue }),
    defaultValues: { username: '', password: '' },
  });

  const onSubmit = async (values: LoginOutput) => {
    setProblem(null);
    try {
      await api.call('session.login', values);
      await refresh();
    } catch (e) {
      setProblem(loginProblem(e));
      resetField('password');
      setFocus('password');
    }
  };

  return (
    <>
      <h1>Sign in{clinicName ? ` to ${clinicName}` : ''}</h1>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate>
        <Field id="login-username" label="Username" error={errorAt(errors, 'username')}>
          {(a) => (
            <input
              {...a}
              {...register('username')}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
            />
          )}
        </Field>
        <Field id="login-password" label="Password" error={errorAt(errors, 'password')}>
          {(a) => (
            <input
              {...a}
              {...register('password')}
              type="password"
              autoComplete="current-password"
            />
          )}
        </Field>
        <div className="form-actions form-actions--spread">
          <button type="button" className="button button--link" onClick={onRecover}>
            Use recovery key
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </>
  );
}

function RecoverForm({ onBack }: { onBack(): void }) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<RecoverInput, unknown, RecoverOutput>({
    resolver: zodResolver(recoverForm, { error: humanIssue }),
    defaultValues: { recoveryKey: '', username: '', newPassword: '', confirm: '' },
  });
  const [typed = '', typedUsername = ''] = useWatch({
    control,
    name: ['newPassword', 'username'],
  });
  const userInputs = useMemo(() => (typedUsername ? [typedUsername] : []), [typedUsername]);
  const strength = usePasswordStrength(typed, userInputs);

  const onSubmit = async (values: RecoverOutput) => {
    setProblem(null);
    const checked = await api
      .call('setup.checkPassword', { password: values.newPassword, userInputs })
      .catch(() => null);
    if (checked && !checked.acceptable) {
      setError('newPassword', {
        type: 'weak',
        message: `This password is too easy to guess. ${checked.warning}`.trim(),
      });
      return;
    }
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
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
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
        <Field
          id="recover-password"
          label="New password"
          hint={
            <PasswordStrengthMeter id="recover-strength" password={typed} strength={strength} />
          }
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
        <Field id="recover-confirm" label="Confirm new password" error={errorAt(errors, 'confirm')}>
          {(a) => (
            <input {...a} {...register('confirm')} type="password" autoComplete="new-password" />
          )}
        </Field>
        <div className="form-actions form-actions--spread">
          <button type="button" className="button button--link" onClick={onBack}>
            Back to sign in
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Opening…' : 'Set new password and sign in'}
          </button>
        </div>
      </form>
    </>
  );
}
