import { useId, useState } from 'react';

/** Shown once after setup: the only moment the recovery key can be seen. */
export function RecoveryKeyPanel({
  recoveryKey,
  onContinue,
}: {
  recoveryKey: string;
  onContinue(): void;
}) {
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

  return (
    <main className="welcome">
      <section className="welcome__card" aria-labelledby="recovery-title">
        <h1 id="recovery-title">Your recovery key</h1>
        <div className="notice notice--warning">
          <p>
            <strong>This key is shown only once.</strong> If every administrator password is lost,
            it is the only way to open this clinic’s records. Print it or write it down and keep it
            locked away, apart from this computer.
          </p>
        </div>
        <div className="recovery-key" aria-label="Recovery key" role="group">
          <code data-testid="recovery-key">{recoveryKey}</code>
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
          />
          <label htmlFor={checkboxId}>I have stored this key safely</label>
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="button button--primary"
            disabled={!stored}
            onClick={onContinue}
          >
            Continue to Enamel
          </button>
        </div>
      </section>
    </main>
  );
}
