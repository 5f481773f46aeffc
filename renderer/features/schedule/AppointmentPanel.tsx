import { useState, type ReactNode } from 'react';
import { v7 as uuidv7 } from 'uuid';
import type { AppointmentDetail, WaitlistOffer } from '../../../shared/ipc/scheduling';
import type { AppointmentStatus } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { useSession } from '../../stores/session';
import { AlertBadges } from '../patients/AlertBadges';
import { usePatients } from '../patients/store';
import { FormInput, FormSelect } from './fields';
import { STATUS_LABELS, callName, fullName, timeSpan, whenLabel } from './labels';
import { useSection } from './section';
import { useSchedule, type SettableStatus } from './store';

/** The next steps offered for each status, in the order staff reach for them. */
const ACTIONS: Record<AppointmentStatus, Array<[SettableStatus, string]>> = {
  booked: [
    ['confirmed', 'Confirm'],
    ['arrived', 'Check in'],
    ['no_show', 'No-show'],
  ],
  confirmed: [
    ['arrived', 'Check in'],
    ['no_show', 'No-show'],
    ['booked', 'Unconfirm'],
  ],
  arrived: [
    ['in_chair', 'Seat in chair'],
    ['completed', 'Complete'],
    ['confirmed', 'Undo check-in'],
  ],
  in_chair: [
    ['completed', 'Complete'],
    ['arrived', 'Back to waiting'],
  ],
  completed: [['in_chair', 'Undo completion']],
  cancelled: [['booked', 'Reinstate']],
  no_show: [
    ['arrived', 'Arrived late'],
    ['booked', 'Reinstate'],
  ],
};

export function AppointmentPanel({ id }: { id: string }) {
  const detail = useSchedule((s) => (s.detail?.id === id ? s.detail : null));
  if (!detail) {
    return (
      <div className="panel">
        <PanelHead title="Appointment" />
        <p className="muted" role="status">
          Opening…
        </p>
      </div>
    );
  }
  return <Details key={detail.id} detail={detail} />;
}

export function PanelHead({ title }: { title: string }) {
  const openPanel = useSchedule((s) => s.openPanel);
  return (
    <div className="panel__head">
      <h2 className="panel__title">{title}</h2>
      <button
        type="button"
        className="button button--quiet button--small"
        onClick={() => openPanel({ kind: 'none' })}
        aria-label="Close the panel"
      >
        ✕
      </button>
    </div>
  );
}

function Details({ detail: a }: { detail: AppointmentDetail }) {
  const setup = useSchedule((s) => s.setup?.setup);
  const setStatus = useSchedule((s) => s.setStatus);
  const change = useSchedule((s) => s.change);
  const cancel = useSchedule((s) => s.cancel);
  const lastCancel = useSchedule((s) =>
    s.lastCancel?.appointment.id === a.id ? s.lastCancel : null,
  );
  const locale = useSession((s) => s.clinic?.locale) || 'en-GB';
  const timeZone = setup?.timeZone ?? 'UTC';
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');
  const [by, setBy] = useState<'patient' | 'clinic'>('patient');
  const [editing, setEditing] = useState(false);
  const [typeId, setTypeId] = useState(a.typeId);
  const [notes, setNotes] = useState(a.notes ?? '');

  const type = setup?.appointmentTypes.find((t) => t.id === a.typeId);
  const provider = setup?.providers.find((p) => p.id === a.providerId);
  const chair = setup?.chairs.find((c) => c.id === a.chairId);

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const openRecord = () => {
    useSection.getState().go('patients');
    usePatients.getState().open(a.patientId);
  };

  return (
    <div className="panel">
      <PanelHead title="Appointment" />
      <div className="appt-detail">
        <p className="appt-detail__who">
          {a.patient ? (
            <>
              <button type="button" className="button button--link" onClick={openRecord}>
                {callName(a.patient)}
              </button>
              <span className="muted">
                {' '}
                {fullName(a.patient)} · chart {a.patient.chartNumber}
              </span>{' '}
              <AlertBadges kinds={a.patient.alertKinds} />
            </>
          ) : (
            <span className="muted">The patient record has been removed.</span>
          )}
        </p>
        <dl className="facts">
          <Row label="When">{`${whenLabel(a.start, timeZone, locale)}–${timeSpan(a.start, a.end, timeZone).split('–')[1]}`}</Row>
          <Row label="Type">{type?.name ?? 'Unknown'}</Row>
          <Row label="Provider">{provider?.name ?? 'Unknown'}</Row>
          <Row label="Chair">{chair?.name ?? 'Unknown'}</Row>
          <Row label="Status">
            <span className={`appt__status appt__status--${a.status}`} data-testid="detail-status">
              {STATUS_LABELS[a.status]}
            </span>
            {a.lateCancellation ? <span className="tag tag--late">Late cancellation</span> : null}
          </Row>
          {a.cancelReason ? <Row label="Reason">{a.cancelReason}</Row> : null}
          {a.notes ? <Row label="Notes">{a.notes}</Row> : null}
        </dl>

        <div className="appt-detail__actions" role="group" aria-label="Status">
          {ACTIONS[a.status].map(([status, label]) => (
            <button
              key={status}
              type="button"
              className={`button button--small${status === 'arrived' || status === 'completed' ? ' button--primary' : ''}`}
              disabled={busy}
              onClick={() => void run(() => setStatus(a.id, status))}
            >
              {label}
            </button>
          ))}
          {a.status === 'booked' || a.status === 'confirmed' || a.status === 'arrived' ? (
            <button
              type="button"
              className="button button--small button--danger-quiet"
              onClick={() => setCancelling((v) => !v)}
              aria-expanded={cancelling}
            >
              Cancel appointment
            </button>
          ) : null}
          <button
            type="button"
            className="button button--small"
            onClick={() => setEditing((v) => !v)}
            aria-expanded={editing}
          >
            Edit
          </button>
        </div>

        {problem ? (
          <div className="notice notice--error" role="alert">
            {problem}
          </div>
        ) : null}

        {cancelling ? (
          <form
            className="subform"
            onSubmit={(e) => {
              e.preventDefault();
              void run(async () => {
                await cancel(a.id, reason, by);
                setCancelling(false);
              });
            }}
          >
            <FormInput
              id="cancel-reason"
              label="Reason for cancelling"
              value={reason}
              onChange={setReason}
            />
            <FormSelect
              id="cancel-by"
              label="Cancelled by"
              value={by}
              onChange={(v) => setBy(v === 'clinic' ? 'clinic' : 'patient')}
              options={[
                ['patient', 'The patient'],
                ['clinic', 'The clinic'],
              ]}
            />
            <button
              type="submit"
              className="button button--danger button--small"
              disabled={busy || !reason.trim()}
            >
              Cancel the appointment
            </button>
          </form>
        ) : null}

        {editing ? (
          <form
            className="subform"
            onSubmit={(e) => {
              e.preventDefault();
              void run(async () => {
                await change(a.id, {
                  ...(typeId !== a.typeId ? { typeId } : {}),
                  notes: notes.trim() || null,
                });
                setEditing(false);
              });
            }}
          >
            <FormSelect
              id="edit-type"
              label="Type"
              value={typeId}
              onChange={setTypeId}
              options={(setup?.appointmentTypes ?? [])
                .filter((t) => t.active !== false || t.id === a.typeId)
                .map((t) => [t.id, t.name] as [string, string])}
            />
            <FormInput id="edit-notes" label="Notes" value={notes} onChange={setNotes} />
            <button type="submit" className="button button--primary button--small" disabled={busy}>
              Save changes
            </button>
          </form>
        ) : null}

        {lastCancel ? (
          <section className="offers" aria-labelledby="offers-title">
            <h3 id="offers-title">
              {lastCancel.late ? 'Late cancellation recorded. ' : 'Cancelled. '}
              {lastCancel.offers.length > 0
                ? 'Waitlist patients who could take this time:'
                : 'Nobody on the waitlist fits this time.'}
            </h3>
            <ul className="plain-list">
              {lastCancel.offers.map((o) => (
                <Offer key={o.entry.id} offer={o} />
              ))}
            </ul>
          </section>
        ) : null}

        <section aria-labelledby="history-title">
          <h3 id="history-title" className="panel__subtitle">
            History
          </h3>
          <ol className="timeline">
            {a.history.map((h, i) => (
              <li key={i}>
                <strong>{STATUS_LABELS[h.status]}</strong>{' '}
                <span className="muted">
                  {whenLabel(h.at, timeZone, locale)} · {h.byName ?? 'another workstation'}
                </span>
                {h.reason ? <div className="muted">{h.reason}</div> : null}
              </li>
            ))}
          </ol>
          {a.acknowledgements.length > 0 ? (
            <>
              <h3 className="panel__subtitle">Accepted clashes</h3>
              <ul className="plain-list">
                {a.acknowledgements.map((k) => (
                  <li key={k.conflictId}>
                    “{k.reason}”{' '}
                    <span className="muted">
                      — {k.byName ?? 'another workstation'}, {whenLabel(k.at, timeZone, locale)}
                    </span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}

function Offer({ offer }: { offer: WaitlistOffer }) {
  const setup = useSchedule((s) => s.setup?.setup);
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const timeZone = setup?.timeZone ?? 'UTC';
  const give = async () => {
    setState('busy');
    setProblem(null);
    try {
      await api.call('waitlist.book', {
        entryId: offer.entry.id,
        appointmentId: uuidv7(),
        start: offer.start,
        chairId: offer.chairId,
        providerId: offer.providerId,
      });
      setState('done');
      void useSchedule.getState().load();
    } catch (e) {
      setProblem(messageOf(e));
      setState('idle');
    }
  };
  return (
    <li className="offer">
      <span>
        <strong>{offer.entry.patient ? callName(offer.entry.patient) : 'Patient'}</strong>{' '}
        <span className="muted">
          {timeSpan(offer.start, offer.end, timeZone)}
          {offer.entry.asap ? ' · ASAP' : ''}
          {offer.entry.currentAppointment ? ' · brings their booking forward' : ''}
        </span>
      </span>
      {state === 'done' ? (
        <span className="tag">Booked</span>
      ) : (
        <button
          type="button"
          className="button button--small"
          disabled={state === 'busy'}
          onClick={() => void give()}
        >
          Give them this slot
        </button>
      )}
      {problem ? <span className="field__error">{problem}</span> : null}
    </li>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="facts__row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
