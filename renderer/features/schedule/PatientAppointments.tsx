import { useCallback, useEffect, useState } from 'react';
import type {
  BookAppointment,
  PatientSchedule,
  SchedulingSetupView,
} from '../../../shared/ipc/scheduling';
import { utcToZoned } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { formatDate } from '../../format';
import { useSession } from '../../stores/session';
import { FormInput, FormSelect } from './fields';
import { STATUS_LABELS, dateLabel, timeSpan } from './labels';
import { useSection } from './section';
import { useSchedule } from './store';
import './schedule.css';

/**
 * A patient's appointments on their record: future bookings, past visits (with cancellations
 * and no-shows), recalls and waitlist entries, with a way to book the next one.
 */
export function PatientAppointments({
  patientId,
  patientName,
}: {
  patientId: string;
  patientName: string;
}) {
  const clinic = useSession((s) => s.clinic);
  const [data, setData] = useState<PatientSchedule | null>(null);
  const [setup, setSetup] = useState<SchedulingSetupView | null>(useSchedule.getState().setup);
  const [problem, setProblem] = useState<string | null>(null);
  const [recallOpen, setRecallOpen] = useState(false);

  const load = useCallback(() => {
    api
      .call('appointments.forPatient', { patientId })
      .then((d) => {
        setData(d);
        setProblem(null);
      })
      .catch((e: unknown) => setProblem(messageOf(e)));
  }, [patientId]);

  useEffect(() => {
    load();
    if (!useSchedule.getState().setup) {
      api
        .call('scheduling.setup', {})
        .then(setSetup)
        .catch(() => undefined);
    }
    return api.on('schedule.changed', () => load());
  }, [load]);

  const timeZone = setup?.setup.timeZone ?? clinic?.timeZone ?? 'UTC';
  const locale = clinic?.locale || 'en-GB';
  const typeName = (id: string) =>
    setup?.setup.appointmentTypes.find((t) => t.id === id)?.name ?? '';
  const providerName = (id: string) => setup?.setup.providers.find((p) => p.id === id)?.name ?? '';

  const openInBook = (a: BookAppointment) => {
    const st = useSchedule.getState();
    useSection.getState().go('schedule');
    st.setDate(utcToZoned(a.start, timeZone).date);
    st.select(a.id);
  };
  const bookNext = () => {
    useSection.getState().go('schedule');
    useSchedule
      .getState()
      .openPanel({ kind: 'freeSlots', prefill: { patient: { id: patientId, name: patientName } } });
  };

  const row = (a: BookAppointment) => {
    const date = utcToZoned(a.start, timeZone).date;
    return (
      <li key={a.id} className={`visit visit--${a.status}`}>
        <button type="button" className="button button--link" onClick={() => openInBook(a)}>
          {dateLabel(date, locale)} {timeSpan(a.start, a.end, timeZone)}
        </button>{' '}
        <span>{typeName(a.typeId)}</span>{' '}
        <span className="muted">{providerName(a.providerId)}</span>{' '}
        <span className={`appt__status appt__status--${a.status}`}>{STATUS_LABELS[a.status]}</span>
        {a.lateCancellation ? <span className="tag tag--late">Late</span> : null}
      </li>
    );
  };

  return (
    <section className="card card--wide patient-appointments" aria-labelledby="card-appointments">
      <div className="patient-appointments__head">
        <h2 id="card-appointments" className="card__title">
          Appointments
        </h2>
        <button type="button" className="button button--small button--primary" onClick={bookNext}>
          Book an appointment
        </button>
      </div>
      {problem ? <p className="field__error">{problem}</p> : null}
      {!data ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="patient-appointments__grid">
          <div>
            <h3 className="panel__subtitle">Coming up</h3>
            {data.upcoming.length === 0 ? (
              <p className="muted">No future bookings.</p>
            ) : (
              <ul className="plain-list">{data.upcoming.map(row)}</ul>
            )}
            <h3 className="panel__subtitle">Recalls</h3>
            {data.recalls.length === 0 ? <p className="muted">No recall set.</p> : null}
            <ul className="plain-list">
              {data.recalls.map((r) => (
                <li key={r.id}>
                  {typeName(r.typeId)} every {r.intervalMonths} months · due{' '}
                  {formatDate(r.dueDate, locale)}
                  {r.status === 'stopped' ? <span className="tag">Stopped</span> : null}
                  {r.booked ? <span className="tag">Booked</span> : null}
                </li>
              ))}
            </ul>
            <button
              type="button"
              className="button button--small"
              onClick={() => setRecallOpen((v) => !v)}
              aria-expanded={recallOpen}
            >
              Set a recall
            </button>
            {recallOpen && setup ? (
              <RecallForm
                patientId={patientId}
                setup={setup}
                onSaved={() => {
                  setRecallOpen(false);
                  load();
                }}
              />
            ) : null}
            {data.waitlist.length > 0 ? (
              <p className="muted">
                On the waitlist{data.waitlist.some((w) => w.asap) ? ' (ASAP)' : ''}.
              </p>
            ) : null}
          </div>
          <div>
            <h3 className="panel__subtitle">History</h3>
            {data.past.length === 0 ? (
              <p className="muted">No past appointments.</p>
            ) : (
              <ul className="plain-list patient-appointments__past">{data.past.map(row)}</ul>
            )}
            {data.morePast ? <p className="muted">Older appointments are not shown.</p> : null}
          </div>
        </div>
      )}
    </section>
  );
}

function RecallForm({
  patientId,
  setup,
  onSaved,
}: {
  patientId: string;
  setup: SchedulingSetupView;
  onSaved(): void;
}) {
  const [typeId, setTypeId] = useState(setup.setup.appointmentTypes[0]?.id ?? '');
  const [months, setMonths] = useState('6');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="subform"
      onSubmit={(e) => {
        e.preventDefault();
        api
          .call('recalls.set', { patientId, typeId, intervalMonths: Number(months), notes: null })
          .then(onSaved)
          .catch((err: unknown) => setProblem(messageOf(err)));
      }}
    >
      <FormSelect
        id="recall-type"
        label="Type"
        value={typeId}
        onChange={setTypeId}
        options={setup.setup.appointmentTypes.map((t) => [t.id, t.name] as [string, string])}
      />
      <FormInput
        id="recall-months"
        label="Every (months)"
        type="number"
        min={1}
        value={months}
        onChange={setMonths}
      />
      {problem ? <div className="field__error">{problem}</div> : null}
      <button type="submit" className="button button--small button--primary">
        Save recall
      </button>
    </form>
  );
}
