import { useEffect, useState } from 'react';
import type { PasswordStrength as Strength } from '../../shared/password';
import { api } from '../api/client';
import { useDebounced } from './useDebounced';

const WORDS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

interface Checked {
  password: string;
  strength: Strength;
}

/** Asks the core how strong a password is and keeps the answer for the latest text. */
export function usePasswordStrength(password: string, userInputs: string[]): Strength | null {
  const settled = useDebounced(password, 250);
  const inputsKey = JSON.stringify(userInputs);
  const [checked, setChecked] = useState<Checked | null>(null);
  useEffect(() => {
    if (!settled) return;
    let live = true;
    const inputs = JSON.parse(inputsKey) as string[];
    api
      .call('setup.checkPassword', { password: settled, userInputs: inputs })
      .then((strength) => {
        if (live) setChecked({ password: settled, strength });
      })
      .catch(() => {
        // The meter is advice; the core checks again when the form is sent.
      });
    return () => {
      live = false;
    };
  }, [settled, inputsKey]);
  return checked && checked.password === password ? checked.strength : null;
}

/** A strength meter with the estimator's advice, read out politely as it changes. */
export function PasswordStrengthMeter({
  id,
  password,
  strength,
}: {
  id: string;
  password: string;
  strength: Strength | null;
}) {
  const score = strength?.score ?? 0;
  const label = !password ? 'Not entered yet' : strength ? WORDS[score] : 'Checking…';
  const tone = !strength ? 'none' : strength.acceptable ? 'good' : score >= 2 ? 'fair' : 'weak';
  return (
    <div className="strength" id={id}>
      <div
        className={`strength__bar strength__bar--${tone}`}
        role="meter"
        aria-label="Password strength"
        aria-valuemin={0}
        aria-valuemax={4}
        aria-valuenow={score}
        aria-valuetext={label}
      >
        {[0, 1, 2, 3].map((i) => (
          <span
            key={i}
            className={`strength__segment${strength && password && i < Math.max(score, 1) ? ' strength__segment--on' : ''}`}
          />
        ))}
      </div>
      <div className="strength__text" aria-live="polite">
        <strong>{label}</strong>
        {strength && password && !strength.acceptable ? (
          <span>
            {' '}
            — not strong enough yet. {strength.warning} {strength.suggestions.slice(0, 2).join(' ')}
          </span>
        ) : null}
        {strength?.acceptable && password ? <span> — good to use.</span> : null}
      </div>
    </div>
  );
}
