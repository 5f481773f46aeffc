import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password, username } from '../../../shared/domain/clinic';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { humanIssue } from '../../forms';
import { useSession } from '../../stores/session';
import { loginProblem } from '../login/LoginScreen';
import './lock.css';

const unlockForm = z.object({ password });
type UnlockInput = z.input<typeof unlockForm>;
type UnlockOutput = z.output<typeof unlockForm>;

const switchForm = z.object({ username, password });
type SwitchInput = z.input<typeof switchForm>;
type SwitchOutput = z.output<typeof switchForm>;

/**
 * Shown while the workstation is locked: the store is closed and nothing of a patient is left on
 * screen. The person who locked it unlocks with their password; anyone else at a shared front-desk
 * PC switches user with their own username and password (the core ends the locked session).
 */
export function LockScreen() {
  const lockedBy = useSession((s) => s.lockedBy);
  const clinic = useSession((s) => s.clinic);
  const [mode, setMode] = useState<'unlock' | 'switch'>('unlock');
  if (!lockedBy) return null;
  return (
    <main className="welcome lock">
      <div className="welcome__card">
        <p className="welcome__brand">Enamel{clinic?.name ? ` · ${clinic.name}` : ''}</p>
        <div className="lock__badge" aria-hidden="true">
          <span className="lock__shackle" />
          <span className="lock__body" />
        </div>
        {mode === 'unlock' ? (
          <UnlockForm
            username={lockedBy.username}
            displayName={lockedBy.displayName}
            onSwitch={() => setMode('switch')}
          />
        ) : (
          <SwitchUserForm lockedByName={lockedBy.displayName} onBack={() => setMode('unlock')} />
        )}
      </div>
    </main>
  );
}

function UnlockForm({
  username: lockedUsername,
  displayName,
  onSwitch,
}: {
  username: string;
  displayName: string;
  onSwitch(): void;
}) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    resetField,
    setFocus,
    formState: { errors, isSubmitting },
  } = useForm<UnlockInput, unknown, UnlockOutput>({
    resolver: zodResolver(unlockForm, { error: humanIssue }),
    defaultValues: { password: '' },
  });

  const onSubmit = async (values: UnlockOutput) => {
    setProblem(null);
    try {
      await api.call('session.login', { username: lockedUsername, password: values.password });
      await refresh();
    } catch (e) {
      setProblem(loginProblem(e));
      resetField('password');
      setFocus('password');
    }
  };

  return (
    <>
      <h1>Locked by {displayName}</h1>
      <p className="lead">
        Patient records are closed on this workstation. {displayName} can unlock it with their
        password; anyone else can switch user.
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate aria-label={`Unlock as ${displayName}`}>
        <Field id="unlock-password" label="Password" error={errorAt(errors, 'password')}>
          {(a) => (
            <input
              {...a}
              {...register('password')}
              type="password"
              autoComplete="current-password"
              autoFocus
            />
          )}
        </Field>
        <div className="form-actions form-actions--spread">
          <button type="button" className="button button--link" onClick={onSwitch}>
            Switch user
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
    </>
  );
}

function SwitchUserForm({ lockedByName, onBack }: { lockedByName: string; onBack(): void }) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    resetField,
    setFocus,
    formState: { errors, isSubmitting },
  } = useForm<SwitchInput, unknown, SwitchOutput>({
    resolver: zodResolver(switchForm, { error: humanIssue }),
    defaultValues: { username: '', password: '' },
  });

  const onSubmit = async (values: SwitchOutput) => {
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
      <h1>Switch user</h1>
      <p className="lead">
        Sign in with your own account. Whatever {lockedByName} had open stays closed.
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate aria-label="Switch user">
        <Field id="switch-username" label="Username" error={errorAt(errors, 'username')}>
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
        <Field id="switch-password" label="Password" error={errorAt(errors, 'password')}>
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
          <button type="button" className="button button--link" onClick={onBack}>
            Back to unlock
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </>
  );
}
