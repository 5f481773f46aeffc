import { useEffect, useRef, useState, type ReactNode } from 'react';
import { displayName, type Patient } from '../../../shared/domain/patient';
import type { PatientRecord as SeenPatient } from '../../../shared/ipc/patients';
import { can } from '../../../shared/permissions';
import { formatPhone } from '../../../shared/phone';
import { messageOf } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formatDate, formatDateTime } from '../../format';
import { useSession } from '../../stores/session';
import { EmergencyAccessOffer } from '../audit/EmergencyAccessOffer';
import { HistoryPanel } from './HistoryPanel';
import './patients.css';
import { PatientAppointments } from '../schedule/PatientAppointments';
import {
  ALERT_KIND_LABELS,
  CHANNEL_LABELS,
  DOCUMENT_TYPE_LABELS,
  PHONE_TYPE_LABELS,
  SEVERITY_LABELS,
  SEX_LABELS,
  STATUS_LABELS,
} from './labels';
import { usePatients } from './store';

export function PatientDetail({ id }: { id: string }) {
  const patient = usePatients((s) => (s.patient?.id === id ? s.patient : null));
  const error = usePatients((s) => s.patientError);
  const denied = usePatients((s) => s.patientDenied);
  const showList = usePatients((s) => s.showList);
  const loadPatient = usePatients((s) => s.loadPatient);
  const role = useSession((s) => s.session?.role);

  if (!patient) {
    return (
      <section className="record">
        <BackLink onClick={showList} />
        {error ? (
          <div className="notice notice--error" role="alert">
            {error}
          </div>
        ) : (
          <p className="muted" role="status">
            Opening the record…
          </p>
        )}
        {denied && role && can(role, 'access.breakGlass') ? (
          <EmergencyAccessOffer key={id} patientId={id} onGranted={() => void loadPatient(id)} />
        ) : null}
      </section>
    );
  }
  return <PatientRecord patient={patient} />;
}

function BackLink({ onClick }: { onClick(): void }) {
  return (
    <button type="button" className="button button--link record__back" onClick={onClick}>
      ← Back to patients
    </button>
  );
}

function PatientRecord({ patient }: { patient: SeenPatient }) {
  const clinic = useSession((s) => s.clinic);
  const role = useSession((s) => s.session?.role);
  const showList = usePatients((s) => s.showList);
  const startEdit = usePatients((s) => s.startEdit);
  const archive = usePatients((s) => s.archive);
  const open = usePatients((s) => s.open);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const country = clinic?.country || 'GB';
  const locale = clinic?.locale || 'en-GB';

  // Screen readers and keyboard users land on the record they opened.
  useEffect(() => {
    heading.current?.focus();
  }, [patient.id]);

  const doArchive = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await archive(patient.id);
      setConfirming(false);
    } catch (e) {
      setProblem(messageOf(e));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  const phone = (e164: string) => formatPhone(e164, country);
  const allergies = patient.alerts.filter((a) => a.kind === 'allergy');
  const others = patient.alerts.filter((a) => a.kind !== 'allergy');
  const restricted = patient.clinical.access === 'restricted';

  return (
    <article className="record" aria-labelledby="record-title">
      <BackLink onClick={showList} />

      <section
        className={`alerts${patient.alerts.length === 0 ? ' alerts--none' : ''}`}
        aria-label="Medical alerts"
      >
        {patient.alerts.length === 0 ? (
          <span>No known allergies or medical alerts recorded.</span>
        ) : (
          <ul className="alerts__list">
            {[...allergies, ...others].map((a) => (
              <li key={a.id} className={`alert alert--${a.kind} alert--${a.severity}`}>
                <span className="alert__kind">{ALERT_KIND_LABELS[a.kind]}</span>
                {restricted ? (
                  <span className="alert__text alert__text--restricted">Details restricted</span>
                ) : (
                  <span className="alert__text">{a.description}</span>
                )}
                <span className="alert__severity">{SEVERITY_LABELS[a.severity]} severity</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <ClinicalAccess patient={patient} mayAsk={!!role && can(role, 'access.breakGlass')} />

      {patient.needsGuardian ? (
        <div className="notice notice--warning" role="note">
          <strong>Under {clinic?.ageOfConsent ?? 16}:</strong> this patient acts through a guardian
          {patient.guardian
            ? ` (${patient.guardian.kind === 'patient' ? (patient.guardian.displayName ?? 'a registered patient') : patient.guardian.name}, ${patient.guardian.relationship}).`
            : '. No guardian is recorded yet — add one before treatment.'}
        </div>
      ) : null}

      <header className="record__header">
        <div>
          <h1 id="record-title" ref={heading} tabIndex={-1} className="record__name">
            {displayName(patient)}
          </h1>
          <p className="record__meta">
            <span>
              Chart <span className="mono">{patient.chartNumber}</span>
            </span>
            <span>
              Born {formatDate(patient.dateOfBirth, locale)} (age {patient.age})
            </span>
            <span>{SEX_LABELS[patient.sex]}</span>
            <span className={`status status--${patient.status}`}>
              {STATUS_LABELS[patient.status]}
            </span>
          </p>
        </div>
        <div className="record__actions">
          <button
            type="button"
            className="button button--primary"
            onClick={() => startEdit(patient.id)}
          >
            Edit
          </button>
          <button
            type="button"
            className="button"
            aria-expanded={historyOpen}
            aria-controls="patient-history"
            onClick={() => setHistoryOpen((v) => !v)}
          >
            {historyOpen ? 'Hide history' : 'History'}
          </button>
          {patient.status !== 'archived' ? (
            <button
              type="button"
              className="button button--danger-quiet"
              onClick={() => setConfirming(true)}
            >
              Archive
            </button>
          ) : null}
        </div>
      </header>

      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}

      {historyOpen ? <HistoryPanel patientId={patient.id} clinicalWithheld={restricted} /> : null}

      <div className="record__grid">
        <Card title="Personal details">
          <Facts
            rows={[
              ['Title', patient.title],
              ['Given names', patient.givenNames],
              ['Family name', patient.familyName],
              ['Patronymic', patient.patronymic],
              ['Preferred name', patient.preferredName],
              ['Date of birth', formatDate(patient.dateOfBirth, locale)],
              ['Sex', SEX_LABELS[patient.sex]],
              ['Gender', patient.gender],
              ['Status', STATUS_LABELS[patient.status]],
            ]}
          />
        </Card>

        <Card title="Contact">
          {patient.phones.length === 0 ? (
            <p className="muted">No phone number.</p>
          ) : (
            <ul className="plain-list">
              {patient.phones.map((p) => (
                <li key={p.id}>
                  <span className="phone">{phone(p.e164)}</span>{' '}
                  <span className="muted">{PHONE_TYPE_LABELS[p.type]}</span>
                  {p.preferred ? <span className="tag">Preferred</span> : null}
                </li>
              ))}
            </ul>
          )}
          <Facts
            rows={[
              ['Email', patient.email],
              [
                'Preferred contact',
                patient.preferredChannel ? CHANNEL_LABELS[patient.preferredChannel] : null,
              ],
              ['Preferred language', patient.preferredLanguage],
            ]}
          />
        </Card>

        <Card title="Address">
          <AddressBlock patient={patient} />
        </Card>

        <Card title="Identity documents">
          {patient.documents.length === 0 ? (
            <p className="muted">None recorded.</p>
          ) : (
            <ul className="plain-list">
              {patient.documents.map((d) => (
                <li key={d.id}>
                  {DOCUMENT_TYPE_LABELS[d.type]} <span className="mono">{d.number}</span>{' '}
                  <span className="muted">({d.issuingCountry})</span>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card title="Insurance">
          {patient.insurance.length === 0 ? (
            <p className="muted">None recorded.</p>
          ) : (
            <ul className="plain-list">
              {patient.insurance.map((i) => (
                <li key={i.id}>
                  <strong>{i.payer}</strong> <span className="mono">{i.memberNumber}</span>
                  {i.validFrom || i.validTo ? (
                    <div className="muted">
                      {i.validFrom ? `from ${formatDate(i.validFrom, locale)}` : ''}
                      {i.validTo ? ` to ${formatDate(i.validTo, locale)}` : ''}
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card title="Emergency contact">
          {patient.emergencyContact ? (
            <Facts
              rows={[
                ['Name', patient.emergencyContact.name],
                ['Relationship', patient.emergencyContact.relationship],
                ['Phone', phone(patient.emergencyContact.phone)],
              ]}
            />
          ) : (
            <p className="muted">None recorded.</p>
          )}
        </Card>

        <Card title="Guardian">
          {!patient.guardian ? (
            <p className="muted">None recorded.</p>
          ) : patient.guardian.kind === 'patient' ? (
            <Facts
              rows={[
                [
                  'Guardian',
                  <button
                    key="g"
                    type="button"
                    className="button button--link"
                    onClick={() =>
                      patient.guardian?.kind === 'patient' && open(patient.guardian.patientId)
                    }
                  >
                    {patient.guardian.displayName ?? 'Open guardian’s record'}
                  </button>,
                ],
                ['Relationship', patient.guardian.relationship],
              ]}
            />
          ) : (
            <Facts
              rows={[
                ['Name', patient.guardian.name],
                ['Relationship', patient.guardian.relationship],
                ['Phone', phone(patient.guardian.phone)],
              ]}
            />
          )}
        </Card>

        <PatientAppointments patientId={patient.id} patientName={displayName(patient)} />

        <Card title="Notes" wide>
          {restricted ? (
            <p className="muted clinical-withheld">
              Restricted: clinical notes are shown to clinical staff.
            </p>
          ) : patient.notes ? (
            <p className="notes">{patient.notes}</p>
          ) : (
            <p className="muted">No notes.</p>
          )}
        </Card>
      </div>

      <ConfirmDialog
        open={confirming}
        title="Archive this patient?"
        confirmLabel="Archive patient"
        danger
        busy={busy}
        onConfirm={() => void doArchive()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          The record is kept for the retention period but hidden from the patient list. You can
          still find it by chart number.
        </p>
      </ConfirmDialog>
    </article>
  );
}

/**
 * The clinical details' status for a role that does not see them by default: the emergency-access
 * control while they are withheld, and while an emergency access lasts, how long it has left. The
 * record is fetched again when it ends, so the details go as the core stops showing them.
 */
function ClinicalAccess({ patient, mayAsk }: { patient: SeenPatient; mayAsk: boolean }) {
  const clinic = useSession((s) => s.clinic);
  const { access, until } = patient.clinical;
  const id = patient.id;

  useEffect(() => {
    if (access !== 'emergency' || !until) return;
    // Timers fire early or not at all past ~24 days; grants are far shorter, but stay safe.
    const wait = Math.min(Math.max(Date.parse(until) - Date.now(), 0) + 1000, 2 ** 31 - 1);
    const timer = setTimeout(() => refreshRecord(id), wait);
    return () => clearTimeout(timer);
  }, [access, until, id]);

  if (access === 'restricted')
    return mayAsk ? (
      <EmergencyAccessOffer
        key={id}
        patientId={id}
        withheld="restricted"
        onGranted={() => refreshRecord(id)}
      />
    ) : null;
  if (access === 'emergency')
    return (
      <div className="notice notice--warning emergency-active" role="status">
        <strong>Emergency access</strong> until{' '}
        {until ? formatDateTime(until, clinic?.locale, clinic?.timeZone) : 'it is withdrawn'}. Alert
        details and clinical notes are open to you for reading; what you open is in the audit trail
        for the practice manager to review.
      </div>
    );
  return null;
}

/** The record (and its history, if shown) again: what the core shows may have changed. */
function refreshRecord(id: string): void {
  const { loadPatient, loadHistory, history } = usePatients.getState();
  void loadPatient(id);
  if (history) void loadHistory(id);
}

function Card({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  const id = `card-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className={`card${wide ? ' card--wide' : ''}`} aria-labelledby={id}>
      <h2 id={id} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (shown.length === 0) return null;
  return (
    <dl className="facts">
      {shown.map(([k, v]) => (
        <div key={k} className="facts__row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function AddressBlock({ patient }: { patient: Patient }) {
  const a = patient.address;
  const lines = [
    a.line1,
    a.line2,
    [a.city, a.region].filter(Boolean).join(', '),
    a.postalCode,
    a.country,
  ].filter((l): l is string => !!l);
  if (lines.length === 0) return <p className="muted">No address.</p>;
  return (
    <address className="address">
      {lines.map((l, i) => (
        <span key={i}>{l}</span>
      ))}
    </address>
  );
}
