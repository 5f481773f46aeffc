import { useEffect, useState } from 'react';
import { messageOf } from '../../api/client';
import { useSession } from '../../stores/session';
import { formatMoment, shortId } from './labels';
import { useAudit } from './store';

/**
 * Emergency accesses waiting for the practice manager: who opened which record, and why, whether
 * it still runs, and (with "Show activity") what they did with that record in the trail below.
 */
export function EmergencyAccessReview({
  onShowActivity,
}: {
  /** Filters the trail to one member of staff's events about one patient. */
  onShowActivity(grant: { staffId: string; patientId: string }): void;
}) {
  const clinic = useSession((s) => s.clinic);
  const grants = useAudit((s) => s.grants);
  const grantsAt = useAudit((s) => s.grantsAt);
  const grantsError = useAudit((s) => s.grantsError);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    void useAudit.getState().loadGrants();
  }, []);

  const locale = clinic?.locale || 'en-GB';
  const timeZone = clinic?.timeZone || undefined;

  const review = async (id: string, who: string) => {
    setBusy(id);
    setProblem(null);
    setNote(null);
    try {
      await useAudit.getState().review(id);
      setNote(`${who}’s emergency access is marked reviewed.`);
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card emergency" aria-labelledby="emergency-title">
      <h2 id="emergency-title" className="card__title">
        Emergency access to review
      </h2>
      {grantsError || problem ? (
        <div className="notice notice--error" role="alert">
          {problem ?? grantsError}
        </div>
      ) : null}
      <p className="admin__note" role="status">
        {note}
      </p>
      {grants === null ? (
        grantsError ? null : (
          <p className="muted">Loading…</p>
        )
      ) : grants.length === 0 ? (
        <p className="muted">No emergency access is waiting for review.</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Emergency accesses not yet reviewed</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Patient</th>
              <th scope="col">Reason</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Review</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.map((g) => {
              const who = g.staffName ?? 'Unknown staff';
              return (
                <tr key={g.id}>
                  <td className="nowrap">{formatMoment(g.grantedAt, locale, timeZone)}</td>
                  <td>{who}</td>
                  <td className="mono" title={g.patientId}>
                    {shortId(g.patientId)}
                  </td>
                  <td className="emergency__reason">{g.reason}</td>
                  <td className="nowrap">
                    {formatMoment(g.expiresAt, locale, timeZone)}
                    <div className="emergency__status muted">
                      {Date.parse(g.expiresAt) > grantsAt ? 'Still open' : 'Ended'}
                    </div>
                  </td>
                  <td>
                    <div className="emergency__actions">
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => onShowActivity(g)}
                        aria-label={`Show ${who}’s activity on this patient in the trail`}
                      >
                        Show activity
                      </button>
                      <button
                        type="button"
                        className="button button--small"
                        disabled={busy !== null}
                        onClick={() => void review(g.id, who)}
                        aria-label={`Mark ${who}’s emergency access reviewed`}
                      >
                        Mark reviewed
                      </button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
