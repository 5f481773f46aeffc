import type { ReactNode } from 'react';
import { get, type FieldErrors, type FieldValues } from 'react-hook-form';

export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
  'aria-required': boolean | undefined;
}

interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}

/** A labelled control with its hint and error, wired for screen readers. */
export function Field({ id, label, error, hint, required, className, children }: FieldProps) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field--invalid' : ''}${className ? ` ${className}` : ''}`}>
      <div className="field__label">
        <label htmlFor={id}>{label}</label>
        {/* Outside the label so the control's name stays the plain label; aria-required says it. */}
        {required ? (
          <span className="field__required" aria-hidden="true">
            *
          </span>
        ) : null}
      </div>
      {children({
        id,
        'aria-invalid': !!error,
        'aria-describedby': describedBy,
        'aria-required': required || undefined,
      })}
      {hint ? (
        <div className="field__hint" id={hintId ?? undefined}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field__error" id={errorId ?? undefined}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** The message for a dotted path (`phones.0.number`), including list-level messages. */
export function errorAt<T extends FieldValues>(
  errors: FieldErrors<T>,
  path: string,
): string | undefined {
  const node = get(errors, path) as { message?: unknown; root?: { message?: unknown } } | undefined;
  if (!node) return undefined;
  if (typeof node.message === 'string' && node.message) return node.message;
  if (typeof node.root?.message === 'string' && node.root.message) return node.root.message;
  return undefined;
}
