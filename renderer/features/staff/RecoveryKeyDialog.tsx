import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { applyServerErrors, humanIssue } from '../../forms';
import { FormDialog } from './FormDialog';

const confirmForm = z.object({ password });
type ConfirmInput = z.input<typeof confirmForm>;
type ConfirmOutput = z.output<typeof confirmForm>;

/**
 * Issues a new recovery key: the manager confirms with their password, the core rotates the
 * database key, and the new recovery key is shown once. The old key stops working.
 */
export function RecoveryKeyDialog({ onClose }: { onClose(replaced: boolean): void }) {
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  return recoveryKey ? (
    <NewKeyStep recoveryKey={recoveryKey} onDone={() => onClose(true)} />
  ) : (
    <ConfirmStep onReplaced={setRecoveryKey} onCancel={() => onClose(false)} />
  );
}

function ConfirmStep({
  onReplaced,
  onCancel,
}: {
  onReplaced(key: string): void;
  onCancel(): void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    resetField,
    formState: { errors, isSubmitting },
  } = useForm<ConfirmInput, unknown, ConfirmOutput>({
    resolver: zodResolver(confirmForm, { error: humanIssue }),
    defaultValues: { password: '' },
  });

  const onSubmit = async (values: ConfirmOutput) => {
    setProblem(null);
    try {
      const { recoveryKey } = await api.call('staff.replaceRecoveryKey', values);
      onReplaced(recoveryKey);
    } catch (e) {
      resetField('password', { keepError: true });
      setProblem(applyServerErrors(e, setError, { isField: (p) => p === 'password' }));
    }
  };

  return (
    <FormDialog title="Replace the recovery key" onClose={onCancel}>
      <p>
        A new recovery key is made and shown once. The old one stops working at once, even on old
        copies of this workstation’s files. The database key is rotated, which takes a moment.
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="stack">
        <Field
          id="recovery-confirm-password"
          label="Your password"
          required
          hint="To confirm it is you."
          error={errorAt(errors, 'password')}
        >
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
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Replacing…' : 'Replace recovery key'}
          </button>
        </div>
      </form>
    </FormDialog>
  );
}

function NewKeyStep({ recoveryKey, onDone }: { recoveryKey: string; onDone(): void }) {
  const [stored, setStored] = useState(false);
  const [copyNote, setCopyNote] = useState<string | null>(null);
  const checkboxId = useId();

  const copy = () => {
    if (!navigator.clipboard) {
      setCopyNote('Copying is not available here: select the key and copy it by hand.');
      return;
    }
    navigator.clipboard.writeText(recoveryKey).then(
      () => setCopyNote('Copied. Paste it somewhere safe, then clear your clipboard.'),
      () => setCopyNote('Could not copy: select the key and copy it by hand.'),
    );
  };

  // No onClose: the key must be acknowledged before the dialog can go away.
  return (
    <FormDialog title="Your new recovery key">
      <div className="notice notice--warning">
        <p>
          <strong>This key is shown only once.</strong> Print it or write it down and keep it locked
          away, apart from this computer. The previous recovery key no longer works.
        </p>
      </div>
      <div className="recovery-key" aria-label="New recovery key" role="group">
        <code data-testid="new-recovery-key">{recoveryKey}</code>
      </div>
      <div className="row">
        <button type="button" className="button" onClick={copy}>
          Copy to clipboard
        </button>
        <span className="muted" role="status">
          {copyNote}
        </span>
      </div>
      <div className="checkbox">
        <input
          id={checkboxId}
          type="checkbox"
          checked={stored}
          onChange={(e) => setStored(e.target.checked)}
          autoFocus
        />
        <label htmlFor={checkboxId}>I have stored this key safely</label>
      </div>
      <div className="dialog__actions">
        <button
          type="button"
          className="button button--primary"
          disabled={!stored}
          onClick={onDone}
        >
          Done
        </button>
      </div>
    </FormDialog>
  );
}
