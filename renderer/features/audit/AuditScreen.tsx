import { useEffect, useMemo, useRef, useState } from 'react';
import type { StaffMember } from '../../../shared/ipc/staff';
import { can } from '../../../shared/permissions';
import { api, messageOf } from '../../api/client';
import { useSession } from '../../stores/session';
import { AuditFilters } from './AuditFilters';
import { downloadText } from './download';
import { EmergencyAccessReview } from './EmergencyAccessReview';
import { actionLabel, details, formatMoment, shortId, verificationText } from './labels';
import { filterArgs, NO_FILTERS, useAudit, type AuditFilters as Filters } from './store';
import '../staff/staff.css';
import './audit.css';

/**
 * The audit trail for the practice manager and the auditor: every sign-in, record opened and
 * change, newest first, filtered by patient, user, action and date; its hash chain can be checked
 * and the filtered trail exported. Events name ids only, never patient details.
 */
export function AuditScreen() {
  const session = useSession((s) => s.session);
  const clinic = useSession((s) => s.clinic);
  const filters = useAudit((s) => s.filters);
  const events = useAudit((s) => s.events);
  const nextBeforeSeq = useAudit((s) => s.nextBeforeSeq);
  const loading = useAudit((s) => s.loading);
  const error = useAudit((s) => s.error);
  const [staff, setStaff] = useState<StaffMember[] | null>(null);
  const [formKey, setFormKey] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const role = session?.role;
  const mayListStaff = role ? can(role, 'staff.list') : false;

  useEffect(() => {
    heading.current?.focus();
    void useAudit.getState().apply(useAudit.getState().filters);
  }, []);

  useEffect(() => {
    if (!mayListStaff) return;
    let live = true;
    api
      .call('staff.list', {})
      .then((list) => {
        if (live) setStaff(list);
      })
      .catch(() => {
        // The user filter falls back to typing an id.
      });
    return () => {
      live = false;
    };
  }, [mayListStaff]);

  const seenActions = useMemo(() => [...new Set((events ?? []).map((e) => e.action))], [events]);
  if (!session || !role) return null;
  const locale = clinic?.locale || 'en-GB';
  const timeZone = clinic?.timeZone || undefined;

  const filterBy = (patch: Partial<Filters>) => {
    void useAudit.getState().apply({ ...filters, ...patch });
    // The form shows the applied filters again.
    setFormKey((k) => k + 1);
  };

  return (
    <section className="admin audit" aria-labelledby="audit-title">
      <header className="admin__head">
        <div>
          <h1 id="audit-title" ref={heading} tabIndex={-1}>
            Audit trail
          </h1>
          <p className="muted">
            Sign-ins, records opened and every change, newest first. Events name records by id,
            never by patient details.
          </p>
        </div>
        <div className="admin__actions">
          <VerifyButton />
          <ExportButton filters={filters} timeZone={timeZone} />
        </div>
      </header>
      <VerifyResult />

      {can(role, 'access.listBreakGlass') ? (
        <EmergencyAccessReview
          onShowActivity={(g) =>
            filterBy({ ...NO_FILTERS, patientId: g.patientId, actorId: g.staffId })
          }
        />
      ) : null}

      <AuditFilters
        key={formKey}
        current={filters}
        staff={mayListStaff ? staff : null}
        canSearchPatients={can(role, 'patients.search')}
        seenActions={seenActions}
        onApply={(f) => void useAudit.getState().apply(f)}
      />

      {error ? (
        <div className="notice notice--error" role="alert">
          {error}
        </div>
      ) : null}
      <p className="audit__count muted" role="status">
        {events === null || (loading && events.length === 0)
          ? 'Loading the audit trail…'
          : events.length === 0
            ? 'No events match these filters.'
            : `${events.length} ${events.length === 1 ? 'event' : 'events'} shown${nextBeforeSeq !== null ? ', older ones below' : ''}`}
      </p>

      {events && events.length > 0 ? (
        <div className="card admin__table">
          <table className="table audit-table">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Patient</th>
                <th scope="col">Record</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq} data-action={e.action}>
                  <td className="mono muted">{e.seq}</td>
                  <td className="nowrap">{formatMoment(e.at, locale, timeZone)}</td>
                  <td>{e.actorName ?? (e.actorId ? shortId(e.actorId) : 'Nobody signed in')}</td>
                  <td>{actionLabel(e.action)}</td>
                  <td>
                    {e.subjectId ? (
                      <button
                        type="button"
                        className="button button--link mono"
                        title={e.subjectId}
                        aria-label={`Only events of patient ${e.subjectId}`}
                        onClick={() =>
                          filterBy({ patientId: e.subjectId ?? '', patientLabel: null })
                        }
                      >
                        {shortId(e.subjectId)}
                      </button>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    {e.targetTable ? (
                      <span title={e.targetId ?? undefined}>
                        {e.targetTable.replace(/_/g, ' ')}
                        {e.targetId ? (
                          <span className="mono muted"> {shortId(e.targetId)}</span>
                        ) : null}
                      </span>
                    ) : null}
                  </td>
                  <td className="audit-table__details">{details(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {nextBeforeSeq !== null && events && events.length > 0 ? (
        <div className="audit__more">
          <button
            type="button"
            className="button"
            disabled={loading}
            onClick={() => void useAudit.getState().loadOlder()}
          >
            {loading ? 'Loading…' : 'Load older'}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function VerifyButton() {
  const verifying = useAudit((s) => s.verifying);
  return (
    <button
      type="button"
      className="button"
      disabled={verifying}
      onClick={() => void useAudit.getState().verify()}
    >
      {verifying ? 'Verifying…' : 'Verify chain'}
    </button>
  );
}

function VerifyResult() {
  const verification = useAudit((s) => s.verification);
  const verifyError = useAudit((s) => s.verifyError);
  if (verifyError)
    return (
      <div className="notice notice--error" role="alert">
        {verifyError}
      </div>
    );
  if (!verification) return null;
  const { ok, text } = verificationText(verification);
  return (
    <div
      className={`notice ${ok ? 'notice--ok' : 'notice--error'}`}
      role={ok ? 'status' : 'alert'}
      data-testid="verify-result"
    >
      {text}
    </div>
  );
}

function ExportButton({ filters, timeZone }: { filters: Filters; timeZone?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const exportCsv = async () => {
    setBusy(true);
    setNote(null);
    try {
      const { csv, rows } = await api.call('audit.export', filterArgs(filters));
      const day = new Intl.DateTimeFormat('en-CA', {
        ...(timeZone ? { timeZone } : {}),
      }).format(new Date());
      downloadText(csv, `audit-trail-${day}.csv`);
      setNote(`${rows} ${rows === 1 ? 'event' : 'events'} exported.`);
    } catch (e) {
      setNote(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="audit__export">
      <button type="button" className="button" disabled={busy} onClick={() => void exportCsv()}>
        {busy ? 'Exporting…' : 'Export CSV'}
      </button>
      <span className="audit__export-note muted" role="status">
        {note}
      </span>
    </div>
  );
}
