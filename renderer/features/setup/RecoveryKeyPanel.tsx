import { RecoveryKeyDisplay } from '../../components/RecoveryKeyDisplay';

/** Shown once after setup: the only moment the recovery key can be seen. */
export function RecoveryKeyPanel({
  recoveryKey,
  onContinue,
}: {
  recoveryKey: string;
  onContinue(): void;
}) {
  return (
    <main className="welcome">
      <section className="welcome__card" aria-labelledby="recovery-title">
        <h1 id="recovery-title">Your recovery key</h1>
        <RecoveryKeyDisplay
          recoveryKey={recoveryKey}
          label="Recovery key"
          testId="recovery-key"
          warning="If every administrator password is lost, it is the only way to open this clinic’s records. Print it or write it down and keep it locked away, apart from this computer."
          actionsClassName="form-actions"
          doneLabel="Continue to Enamel"
          onDone={onContinue}
        />
      </section>
    </main>
  );
}
