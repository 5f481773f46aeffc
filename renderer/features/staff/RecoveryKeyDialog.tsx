import { useState } from 'react';
import { z } from 'zod';
import { password } from '../../../shared/domain/clinic';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { ErrorNotice } from '../../components/Notice';
import { RecoveryKeyDisplay } from '../../components/RecoveryKeyDisplay';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { FormDialog } from './FormDialog';

const confirmForm = z.object({ password });
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
  } = useZodForm(confirmForm, { password: '' });

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
      <ErrorNotice message={problem} />
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
        <FormActions
          variant="dialog"
          busy={isSubmitting}
          submitLabel="Replace recovery key"
          busyLabel="Replacing…"
          back={{ label: 'Cancel', onClick: onCancel }}
        />
      </form>
    </FormDialog>
  );
}

function NewKeyStep({ recoveryKey, onDone }: { recoveryKey: string; onDone(): void }) {
  // No onClose: the key must be acknowledged before the dialog can go away.
  return (
    <FormDialog title="Your new recovery key">
      <RecoveryKeyDisplay
        recoveryKey={recoveryKey}
        label="New recovery key"
        testId="new-recovery-key"
        warning="Print it or write it down and keep it locked away, apart from this computer. The previous recovery key no longer works."
        autoFocus
        actionsClassName="dialog__actions"
        doneLabel="Done"
        onDone={onDone}
      />
    </FormDialog>
  );
}
