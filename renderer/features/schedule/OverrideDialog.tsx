import { useEffect, useRef, useState } from 'react';
import { messageOf } from '../../api/client';
import { useSchedule } from './store';

/**
 * A move, resize or reinstatement the core refused for clashes: what is in the way, and a reason
 * to go ahead anyway (recorded with who and when), or leave things as they were.
 */
export function OverrideDialog() {
  const pending = useSchedule((s) => s.pendingOverride)!;
  const dismiss = useSchedule((s) => s.dismissOverride);
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const confirm = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await pending.retry({ reason, conflictIds: pending.conflictIds });
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="override-title"
      onCancel={(e) => {
        e.preventDefault();
        dismiss();
      }}
    >
      <h2 id="override-title">{pending.title}</h2>
      <div className="notice notice--warning clash-list">
        <strong>This clashes with the book:</strong>
        <ul>
          {pending.descriptions.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      </div>
      <div className="field">
        <div className="field__label">
          <label htmlFor="override-reason">Reason for going ahead</label>
        </div>
        <textarea
          id="override-reason"
          rows={2}
          value={reason}
          autoFocus
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={dismiss}>
          Leave it as it was
        </button>
        <button
          type="button"
          className="button button--danger"
          disabled={busy || reason.trim() === ''}
          onClick={() => void confirm()}
        >
          Go ahead
        </button>
      </div>
    </dialog>
  );
}
