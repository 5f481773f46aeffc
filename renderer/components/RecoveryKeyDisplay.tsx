import { useId, useState, type ReactNode } from 'react';

interface RecoveryKeyDisplayProps {
  recoveryKey: string;
  /** The key's accessible name, and the test id of its text. */
  label: string;
  testId: string;
  /** Follows "This key is shown only once." in the warning. */
  warning: ReactNode;
  /** Where the checkbox is the first thing to do (in a dialog, focus must land inside). */
  autoFocus?: boolean;
  actionsClassName: string;
  doneLabel: string;
  onDone(): void;
}

/**
 * A recovery key on the one occasion it can be seen: the key, a copy button, and a way on only
 * once the person says the key is stored safely.
 */
export function RecoveryKeyDisplay({
  recoveryKey,
  label,
  testId,
  warning,
  autoFocus,
  actionsClassName,
  doneLabel,
  onDone,
}: RecoveryKeyDisplayProps) {
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
    <>
      <div className="notice notice--warning">
        <p>
          <strong>This key is shown only once.</strong> {warning}
        </p>
      </div>
      <div className="recovery-key" aria-label={label} role="group">
        <code data-testid={testId}>{recoveryKey}</code>
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
          autoFocus={autoFocus}
        />
        <label htmlFor={checkboxId}>I have stored this key safely</label>
      </div>
      <div className={actionsClassName}>
        <button
          type="button"
          className="button button--primary"
          disabled={!stored}
          onClick={onDone}
        >
          {doneLabel}
        </button>
      </div>
    </>
  );
}
