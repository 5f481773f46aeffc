import { useEffect } from 'react';
import type { FieldChange } from '../../../shared/domain/patient';
import { formatDateTime } from '../../format';
import { useSession } from '../../stores/session';
import { historyFieldLabel, historyValue } from './labels';
import { usePatients } from './store';

const OPERATION_LABELS: Record<FieldChange['operation'], string> = {
  insert: 'Added',
  update: 'Changed',
  delete: 'Removed',
};

/** Entries worth reading: an empty field at creation says nothing. */
export function meaningfulChanges(changes: FieldChange[]): FieldChange[] {
  return changes.filter((c) => !(c.operation === 'insert' && (c.value === null || c.value === '')));
}

/**
 * Field-level history of one patient, newest first, with who changed what and when. With
 * `clinicalWithheld` the core has left out changes to alert details and clinical notes.
 */
export function HistoryPanel({
  patientId,
  clinicalWithheld = false,
}: {
  patientId: string;
  clinicalWithheld?: boolean;
}) {
  const clinic = useSession((s) => s.clinic);
  const history = usePatients((s) => s.history);
  const error = usePatients((s) => s.historyError);
  const loadHistory = usePatients((s) => s.loadHistory);

  useEffect(() => {
    void loadHistory(patientId);
  }, [loadHistory, patientId]);

  const shown = history ? meaningfulChanges(history) : null;
  const place = { country: clinic?.country || 'GB', locale: clinic?.locale || 'en-GB' };
  return (
    <section id="patient-history" className="history" aria-labelledby="history-title">
      <h2 id="history-title" className="card__title">
        Change history
      </h2>
      {clinicalWithheld ? (
        <p className="muted clinical-withheld">
          Changes to alert details and clinical notes are not shown to your role.
        </p>
      ) : null}
      {error ? (
        <div className="notice notice--error" role="alert">
          {error}
        </div>
      ) : shown === null ? (
        <p className="muted" role="status">
          Loading history…
        </p>
      ) : shown.length === 0 ? (
        <p className="muted">No changes recorded.</p>
      ) : (
        <div className="history__scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">By</th>
                <th scope="col">Field</th>
                <th scope="col">Change</th>
                <th scope="col">New value</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c, i) => (
                <tr key={`${c.hlc}-${c.rowId}-${c.field}-${i}`}>
                  <td className="nowrap">
                    {formatDateTime(c.at, clinic?.locale, clinic?.timeZone)}
                  </td>
                  <td>{c.authorName}</td>
                  <td>{historyFieldLabel(c.field)}</td>
                  <td>{OPERATION_LABELS[c.operation]}</td>
                  <td>{historyValue(c, place)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
