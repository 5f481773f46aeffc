import { useState } from 'react';
import { v7 as uuidv7 } from 'uuid';
import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import type { FreeSlot, Weekday } from '../../../shared/scheduling';
import { WEEKDAYS } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { useSession } from '../../stores/session';
import { PanelHead } from './AppointmentPanel';
import { FormInput, FormSelect } from './fields';
import { WEEKDAY_LABELS, dateLabel, timeSpan } from './labels';
import { PatientSearch } from './PatientSearch';
import { useSchedule, type SlotPrefill } from './store';

/**
 * "Find the next free slot": a type (or a length), optionally a provider, a chair, days and times,
 * within N weeks. Results come in time order; with the patient chosen, one click books.
 */
export function FreeSlotPanel({ prefill }: { prefill?: SlotPrefill | undefined }) {
  const setupView = useSchedule((s) => s.setup);
  const locale = useSession((s) => s.clinic?.locale) || 'en-GB';
  const setup = setupView?.setup;
  const timeZone = setup?.timeZone ?? 'UTC';
  const types = setup?.appointmentTypes.filter((t) => t.active !== false) ?? [];
  const [patient, setPatient] = useState(prefill?.patient ?? null);
  const [typeId, setTypeId] = useState(prefill?.typeId ?? types[0]?.id ?? '');
  const [providerId, setProviderId] = useState(prefill?.providerId ?? '');
  const [chairId, setChairId] = useState('');
  const [weekdays, setWeekdays] = useState<Weekday[]>([]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [weeks, setWeeks] = useState('4');
  const [length, setLength] = useState('');
  const [slots, setSlots] = useState<FreeSlot[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [booked, setBooked] = useState<string | null>(null);

  const type = types.find((t) => t.id === typeId);
  const providers = (setup?.providers ?? []).filter(
    (p) => p.active !== false && (!type || type.allowedProviderKinds.includes(p.kind)),
  );

  const search = async () => {
    setBusy(true);
    setProblem(null);
    setBooked(null);
    try {
      const today = todayIn(timeZone);
      const found = await api.call('appointments.freeSlots', {
        typeId,
        ...(length ? { durationMinutes: Number(length) } : {}),
        ...(providerId ? { providerId } : {}),
        ...(chairId ? { chairId } : {}),
        ...(patient ? { patientId: patient.id } : {}),
        ...(weekdays.length > 0 ? { preferredWeekdays: weekdays } : {}),
        ...(from && to ? { preferredTimeRanges: [{ start: from, end: to }] } : {}),
        fromDate: today,
        notBefore: Date.now(),
        weeks: Math.min(52, Math.max(1, Number(weeks) || 4)),
        limit: 20,
        maxPerDay: 4,
      });
      setSlots(found);
    } catch (e) {
      setProblem(messageOf(e));
      setSlots(null);
    } finally {
      setBusy(false);
    }
  };

  const book = async (slot: FreeSlot) => {
    const st = useSchedule.getState();
    if (!patient) {
      // Without a patient the booking form opens on the slot, asking who.
      st.startDraft({
        start: slot.start,
        end: slot.end,
        chairId: slot.chairId,
        providerId: slot.providerId,
        typeId,
        patient: null,
      });
      return;
    }
    setProblem(null);
    try {
      const a = await api.call('appointments.book', {
        appointment: {
          id: uuidv7(),
          patientId: patient.id,
          chairId: slot.chairId,
          providerId: slot.providerId,
          typeId,
          start: slot.start,
          end: slot.end,
        },
      });
      setBooked(
        `Booked ${dateLabel(slot.date, locale)} ${timeSpan(a.start, a.end, timeZone)} for ${patient.name}.`,
      );
      setSlots((list) => list?.filter((s) => s !== slot) ?? null);
      // The book shows the day of the new booking; the search stays open for the next one.
      if (st.date !== slot.date) st.setDate(slot.date);
      else void st.load();
    } catch (e) {
      setProblem(
        e instanceof AppError && e.code === 'CONFLICT'
          ? 'That slot has just been taken. Search again.'
          : messageOf(e),
      );
    }
  };

  const name = (id: string, list: Array<{ id: string; name: string }> | undefined) =>
    list?.find((x) => x.id === id)?.name ?? '';

  return (
    <div className="panel">
      <PanelHead title="Find a free slot" />
      <form
        className="subform"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        {patient ? (
          <div className="picked">
            <span className="picked__label">For</span>
            <span className="picked__name">{patient.name}</span>
            <button type="button" className="button button--small" onClick={() => setPatient(null)}>
              Change
            </button>
          </div>
        ) : (
          <PatientSearch id="slot-patient" label="Patient (optional)" onPick={setPatient} />
        )}
        <FormSelect
          id="slot-type"
          label="Type"
          value={typeId}
          onChange={setTypeId}
          options={types.map(
            (t) => [t.id, `${t.name} (${t.durationUnits * 5} min)`] as [string, string],
          )}
        />
        <FormInput
          id="slot-length"
          label="Length in minutes (blank: the type's)"
          type="number"
          step={5}
          min={5}
          value={length}
          onChange={setLength}
        />
        <div className="grid grid--2">
          <FormSelect
            id="slot-provider"
            label="Provider"
            value={providerId}
            onChange={setProviderId}
            options={[['', 'Anyone'], ...providers.map((p) => [p.id, p.name] as [string, string])]}
          />
          <FormSelect
            id="slot-chair"
            label="Chair"
            value={chairId}
            onChange={setChairId}
            options={[
              ['', 'Any chair'],
              ...(setup?.chairs ?? [])
                .filter((c) => c.active !== false)
                .map((c) => [c.id, c.name] as [string, string]),
            ]}
          />
        </div>
        <fieldset className="fieldset weekday-picker">
          <legend>Days (none: any day)</legend>
          {WEEKDAYS.map((d) => (
            <label key={d} className="checkbox--inline">
              <input
                type="checkbox"
                checked={weekdays.includes(d)}
                onChange={(e) =>
                  setWeekdays((w) => (e.target.checked ? [...w, d] : w.filter((x) => x !== d)))
                }
              />
              <span title={WEEKDAY_LABELS[d]}>{WEEKDAY_LABELS[d].slice(0, 3)}</span>
            </label>
          ))}
        </fieldset>
        <div className="grid grid--3">
          <FormInput
            id="slot-from"
            label="From"
            type="time"
            step={300}
            value={from}
            onChange={setFrom}
          />
          <FormInput
            id="slot-to"
            label="Until"
            type="time"
            step={300}
            value={to}
            onChange={setTo}
          />
          <FormInput
            id="slot-weeks"
            label="Weeks ahead"
            type="number"
            min={1}
            value={weeks}
            onChange={setWeeks}
          />
        </div>
        <button
          type="submit"
          className="button button--primary button--small"
          disabled={busy || !typeId}
        >
          Search
        </button>
      </form>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      {booked ? (
        <div className="notice" role="status">
          {booked}
        </div>
      ) : null}
      {slots ? (
        slots.length === 0 ? (
          <p className="muted" role="status">
            No free slot in that time. Try more weeks or fewer conditions.
          </p>
        ) : (
          <ol className="slot-list" aria-label="Free slots, soonest first">
            {slots.map((slot) => (
              <li key={`${slot.start}-${slot.chairId}`} className="slot">
                <span className="slot__when">
                  <strong>{dateLabel(slot.date, locale)}</strong>{' '}
                  {timeSpan(slot.start, slot.end, timeZone)}
                </span>
                <span className="slot__where muted">
                  {name(slot.chairId, setup?.chairs)} · {name(slot.providerId, setup?.providers)}
                </span>
                <button
                  type="button"
                  className="button button--small button--primary"
                  onClick={() => void book(slot)}
                >
                  Book
                </button>
              </li>
            ))}
          </ol>
        )
      ) : null}
    </div>
  );
}
