import type { ReactNode } from 'react';
import {
  useWatch,
  type FieldValues,
  type Path,
  type UseFormReturn,
  type UseFormSetError,
} from 'react-hook-form';
import { api } from '../api/client';
import { errorAt, Field } from './Field';
import { PasswordStrengthMeter, usePasswordStrength } from './PasswordStrength';

/**
 * Asks the core whether a new password is too easy to guess before the form is sent (the meter
 * may lag the last keystroke), and if so says why next to its field. True when it was refused;
 * false when it is strong enough or the check could not run (the core checks again).
 */
export async function refusedAsWeak<T extends FieldValues>(
  setError: UseFormSetError<T>,
  name: Path<T>,
  password: string,
  userInputs: string[],
): Promise<boolean> {
  const checked = await api.call('setup.checkPassword', { password, userInputs }).catch(() => null);
  if (!checked || checked.acceptable) return false;
  setError(name, {
    type: 'weak',
    message: `This password is too easy to guess. ${checked.warning}`.trim(),
  });
  return true;
}

interface NewPasswordFieldsProps<T extends FieldValues, TOut> {
  form: UseFormReturn<T, unknown, TOut>;
  /** The new password's field and the one that repeats it. */
  name: Path<T>;
  confirmName: Path<T>;
  /** The password input's id; the strength meter's is this with `-strength`. */
  id: string;
  confirmId: string;
  label: string;
  confirmLabel: string;
  required?: boolean;
  autoFocus?: boolean;
  /** What the estimator counts as easy to guess here: the username, the person's name... */
  userInputs: string[];
  /** Said under the strength meter, such as how to hand a first password over. */
  note?: ReactNode;
}

/**
 * A new password and its confirmation, with a strength meter that follows the typing. The form's
 * schema checks that both are the same; `refusedAsWeak` checks the strength when it is sent.
 */
export function NewPasswordFields<T extends FieldValues, TOut>({
  form: {
    register,
    control,
    formState: { errors },
  },
  name,
  confirmName,
  id,
  confirmId,
  label,
  confirmLabel,
  required,
  autoFocus,
  userInputs,
  note,
}: NewPasswordFieldsProps<T, TOut>) {
  const watched: unknown = useWatch({ control, name });
  const typed = typeof watched === 'string' ? watched : '';
  const strength = usePasswordStrength(typed, userInputs);
  return (
    <>
      <Field
        id={id}
        label={label}
        required={required}
        hint={
          <>
            <PasswordStrengthMeter id={`${id}-strength`} password={typed} strength={strength} />
            {note}
          </>
        }
        error={errorAt(errors, name)}
      >
        {(a) => (
          <input
            {...a}
            {...register(name)}
            type="password"
            autoComplete="new-password"
            autoFocus={autoFocus}
          />
        )}
      </Field>
      <Field
        id={confirmId}
        label={confirmLabel}
        required={required}
        error={errorAt(errors, confirmName)}
      >
        {(a) => (
          <input {...a} {...register(confirmName)} type="password" autoComplete="new-password" />
        )}
      </Field>
    </>
  );
}
