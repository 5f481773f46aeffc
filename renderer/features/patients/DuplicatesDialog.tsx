import { useEffect, useRef } from 'react';
import { displayName, type DuplicateCandidate } from '../../../shared/domain/patient';
import { formatPhone } from '../../../shared/phone';
import { formatDate } from '../../format';
import { useSession } from '../../stores/session';
import { DUPLICATE_REASON_LABELS } from './labels';

/**
 * Before a registration is saved: the patients it may duplicate, with why. Staff either open the
 * existing record or say explicitly that this is a new patient.
 */
export function DuplicatesDialog({
  candidates,
  saving,
  onOpen,
  onConfirmNew,
  onBack,
}: {
  candidates: DuplicateCandidate[] | null;
  saving: boolean;
  onOpen(id: string): void;
  onConfirmNew(): void;
  onBack(): void;
}) {
  const clinic = useSession((s) => s.clinic);
  const ref = useRef<HTMLDialogElement>(null);
  const open = candidates !== null && candidates.length > 0;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog dialog--wide"
      aria-labelledby="duplicates-title"
      aria-describedby="duplicates-help"
      onCancel={(e) => {
        e.preventDefault();
        onBack();
      }}
    >
      <h2 id="duplicates-title">This patient may already be registered</h2>
      <p id="duplicates-help">
        Check the {candidates && candidates.length > 1 ? 'records' : 'record'} below. Open the
        existing record if it is the same person, so their history stays in one place.
      </p>
      <ul className="duplicates">
        {(candidates ?? []).map(({ patient: p, reasons }) => (
          <li key={p.id} className="duplicates__item">
            <div>
              <strong>{displayName(p)}</strong>
              <div className="muted">
                Born {formatDate(p.dateOfBirth, clinic?.locale)} · chart {p.chartNumber}
                {p.preferredPhone
                  ? ` · ${formatPhone(p.preferredPhone, clinic?.country || 'GB')}`
                  : ''}
              </div>
              <ul className="duplicates__reasons">
                {reasons.map((r) => (
                  <li key={r}>{DUPLICATE_REASON_LABELS[r]}</li>
                ))}
              </ul>
            </div>
            <button type="button" className="button" onClick={() => onOpen(p.id)}>
              Open this record
            </button>
          </li>
        ))}
      </ul>
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onBack} autoFocus>
          Back to the form
        </button>
        <button
          type="button"
          className="button button--primary"
          onClick={onConfirmNew}
          disabled={saving}
        >
          {saving ? 'Saving…' : 'This is a new patient — register'}
        </button>
      </div>
    </dialog>
  );
}
