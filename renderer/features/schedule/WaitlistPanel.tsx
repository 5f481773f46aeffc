import { useCallback, useEffect, useState } from 'react';
import type { WaitlistEntryView } from '../../../shared/ipc/scheduling';
import { api, messageOf } from '../../api/client';
import { formatDateTime } from '../../format';
import { useSession } from '../../stores/session';
import { AlertBadges } from '../patients/AlertBadges';
import { PanelHead } from './AppointmentPanel';
import { FormInput, FormSelect } from './fields';
import { callName } from './labels';
import { PatientSearch } from './PatientSearch';
import { useSchedule } from './store';

/** Patients waiting for an (earlier) appointment: ASAP first, then the longest waiting. */
export function WaitlistPanel() {
  const setup = useSchedule((s) => s.setup?.setup);
  const openPanel = useSchedule((s) => s.openPanel);
  const clinic = useSession((s) => s.clinic);
  const [entries, setEntries] = useState<WaitlistEntryView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  const load = useCallback(() => {
    api
      .call('waitlist.list', {})
      .then(setEntries)
      .catch((e: unknown) => setProblem(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const remove = async (id: string) => {
    try {
      await api.call('waitlist.remove', { id });
      load();
    } catch (e) {
      setProblem(messageOf(e));
    }
  };

  const typeName = (id: string | null) =>
    setup?.appointmentTypes.find((t) => t.id === id)?.name ?? 'Any type';

  return (
    <div className="panel">
      <PanelHead title="Waitlist" />
      <button
        type="button"
        className="button button--small"
        onClick={() => setAdding((v) => !v)}
        aria-expanded={adding}
      >
        Add a patient
      </button>
      {adding ? (
        <AddEntry
          onAdded={() => {
            setAdding(false);
            load();
          }}
        />
      ) : null}
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      {entries === null ? (
        <p className="muted">Loading…</p>
      ) : entries.length === 0 ? (
        <p className="muted">Nobody is waiting.</p>
      ) : (
        <ol className="plain-list waitlist">
          {entries.map((e) => (
            <li key={e.id} className="waitlist__item">
              <div>
                <strong>{e.patient ? callName(e.patient) : 'Patient'}</strong>{' '}
                {e.asap ? <span className="tag tag--asap">ASAP</span> : null}{' '}
                <AlertBadges kinds={e.patient?.alertKinds ?? []} />
              </div>
              <div className="muted">
                {typeName(e.typeId)} · {e.durationMinutes} min
                {e.preferredTimes
                  ? ` · ${e.preferredTimes.map((t) => `${t.start}–${t.end}`).join(', ')}`
                  : ''}
                {e.currentAppointment ? ' · wants an earlier slot' : ''} · since{' '}
                {formatDateTime(e.createdAt, clinic?.locale, clinic?.timeZone)}
              </div>
              {e.notes ? <div>{e.notes}</div> : null}
              <div className="waitlist__actions">
                <button
                  type="button"
                  className="button button--small"
                  onClick={() =>
                    openPanel({
                      kind: 'freeSlots',
                      prefill: {
                        ...(e.patient
                          ? { patient: { id: e.patientId, name: callName(e.patient) } }
                          : {}),
                        ...(e.typeId ? { typeId: e.typeId } : {}),
                        ...(e.providerId ? { providerId: e.providerId } : {}),
                      },
                    })
                  }
                >
                  Find a slot
                </button>
                <button
                  type="button"
                  className="button button--small button--quiet"
                  onClick={() => void remove(e.id)}
                >
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function AddEntry({ onAdded }: { onAdded(): void }) {
  const setup = useSchedule((s) => s.setup?.setup);
  const [patient, setPatient] = useState<{ id: string; name: string } | null>(null);
  const [typeId, setTypeId] = useState(setup?.appointmentTypes[0]?.id ?? '');
  const [providerId, setProviderId] = useState('');
  const [asap, setAsap] = useState(true);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [notes, setNotes] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="subform"
      onSubmit={(e) => {
        e.preventDefault();
        if (!patient) {
          setProblem('Choose the patient.');
          return;
        }
        api
          .call('waitlist.add', {
            entry: {
              patientId: patient.id,
              typeId: typeId || null,
              providerId: providerId || null,
              asap,
              ...(from && to ? { preferredTimes: [{ start: from, end: to }] } : {}),
              notes: notes || null,
            },
          })
          .then(onAdded)
          .catch((err: unknown) => setProblem(messageOf(err)));
      }}
    >
      {patient ? (
        <div className="picked">
          <span className="picked__label">Patient</span>
          <span className="picked__name">{patient.name}</span>
        </div>
      ) : (
        <PatientSearch id="waitlist-patient" label="Patient" onPick={setPatient} />
      )}
      <FormSelect
        id="waitlist-type"
        label="Type"
        value={typeId}
        onChange={setTypeId}
        options={(setup?.appointmentTypes ?? []).map((t) => [t.id, t.name] as [string, string])}
      />
      <FormSelect
        id="waitlist-provider"
        label="Provider"
        value={providerId}
        onChange={setProviderId}
        options={[
          ['', 'Anyone'],
          ...(setup?.providers ?? []).map((p) => [p.id, p.name] as [string, string]),
        ]}
      />
      <div className="grid grid--2">
        <FormInput
          id="waitlist-from"
          label="Can come from"
          type="time"
          step={300}
          value={from}
          onChange={setFrom}
        />
        <FormInput
          id="waitlist-to"
          label="Until"
          type="time"
          step={300}
          value={to}
          onChange={setTo}
        />
      </div>
      <label className="checkbox--inline">
        <input type="checkbox" checked={asap} onChange={(e) => setAsap(e.target.checked)} /> As soon
        as possible
      </label>
      <FormInput id="waitlist-notes" label="Notes" value={notes} onChange={setNotes} />
      {problem ? <div className="field__error">{problem}</div> : null}
      <button type="submit" className="button button--primary button--small">
        Add to waitlist
      </button>
    </form>
  );
}
