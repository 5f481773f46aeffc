import { useState } from 'react';
import { z } from 'zod';
import { password, username } from '../../shared/domain/clinic';
import { AppError } from '../../shared/errors';
import { api, messageOf } from '../api/client';
import { useSession } from '../stores/session';
import { errorAt, Field } from './Field';
import { FormActions } from './FormActions';
import { ErrorNotice } from './Notice';
import { useZodForm } from './useZodForm';

const typedAccount = z.object({ username, password });
// Unlocking: the account is the one that locked the workstation; only its password is typed.
const knownAccount = z.object({ username: z.string(), password });

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

interface SignInFormProps {
  /** Starts the fields' ids (`login`, `unlock`, `switch`): each form's ids stay its own. */
  idPrefix: string;
  /** The account when it is already known (unlocking): then only its password is asked. */
  username?: string;
  /** The form's accessible name, where the screen's heading does not say it. */
  label?: string;
  submitLabel: string;
  busyLabel: string;
  /** The link to the screen's other form (recovery key, switch user, back to unlock). */
  other: { label: string; onClick(): void };
}

/**
 * Username and password, sent to the core as a sign-in; the session store moves on when it works.
 * A refusal (wrong password, too many attempts) is said above the form, the password is cleared
 * and focused for the next try, and the username stays as typed.
 */
export function SignInForm({
  idPrefix,
  username: known,
  label,
  submitLabel,
  busyLabel,
  other,
}: SignInFormProps) {
  const refresh = useSession((s) => s.refresh);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    resetField,
    setFocus,
    formState: { errors, isSubmitting },
  } = useZodForm(known === undefined ? typedAccount : knownAccount, {
    username: '',
    password: '',
  });

  const onSubmit = async (values: z.output<typeof typedAccount>) => {
    setProblem(null);
    try {
      await api.call('session.login', {
        username: known ?? values.username,
        password: values.password,
      });
      await refresh();
    } catch (e) {
      setProblem(loginProblem(e));
      resetField('password');
      setFocus('password');
    }
  };

  return (
    <>
      <ErrorNotice message={problem} />
      <form onSubmit={handleSubmit(onSubmit)} noValidate aria-label={label}>
        {known === undefined ? (
          <Field id={`${idPrefix}-username`} label="Username" error={errorAt(errors, 'username')}>
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
        ) : null}
        <Field id={`${idPrefix}-password`} label="Password" error={errorAt(errors, 'password')}>
          {(a) => (
            <input
              {...a}
              {...register('password')}
              type="password"
              autoComplete="current-password"
              autoFocus={known !== undefined}
            />
          )}
        </Field>
        <FormActions
          variant="page"
          busy={isSubmitting}
          submitLabel={submitLabel}
          busyLabel={busyLabel}
          back={other}
        />
      </form>
    </>
  );
}
