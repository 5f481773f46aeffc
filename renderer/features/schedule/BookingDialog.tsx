import { useEffect, useMemo, useRef, useState } from 'react';
import { AppError } from '../../../shared/errors';
import type { BookingCheck } from '../../../shared/ipc/scheduling';
import { utcToZoned } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { useDebounced } from '../../components/useDebounced';
import { FormInput as Input, FormSelect as Select } from './fields';
import { instantAt, timeSpan } from './labels';
import { PatientSearch } from './PatientSearch';
import { useSchedule } from './store';

/**
 * Booking form for a slot picked on the book or in the free-slot search: patient (type-ahead),
 * type, provider, chair, time and length. Clashes are shown as soon as the form is complete;
 * saving into one asks for a reason, which the core records with the booking.
 */
export function BookingDialog() {
  const draft = useSchedule((s) => s.draft)!;
  const setupView = useSchedule((s) => s.setup);
  const updateDraft = useSchedule((s) => s.updateDraft);
  const closeDraft = useSchedule((s) => s.closeDraft);
  const ref = useRef<HTMLDialogElement>(null);
  const setup = setupView?.setup;
  const timeZone = setup?.timeZone ?? 'UTC';
  const wall = utcToZoned(draft.start, timeZone);
  const [date, setDate] = useState(wall.date);
  const [time, setTime] = useState(wall.time);
  const types = useMemo(
    () => setup?.appointmentTypes.filter((t) => t.active !== false) ?? [],
    [setup],
  );
  const [typeId, setTypeId] = useState(draft.typeId ?? '');
  const type = types.find((t) => t.id === typeId);
  const [length, setLength] = useState<number | null>(
    draft.end !== undefined ? Math.round((draft.end - draft.start) / 60_000) : null,
  );
  const minutes = length ?? (type ? type.durationUnits * 5 : 30);
  const [notes, setNotes] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [clash, setClash] = useState<BookingCheck | null>(null);
  const [mustOverride, setMustOverride] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const providers = (setup?.providers ?? []).filter(
    (p) => p.active !== false && (!type || type.allowedProviderKinds.includes(p.kind)),
  );
  const chairs = (setup?.chairs ?? []).filter((c) => c.active !== false);
  const start = instantAt(date, time, timeZone);

  const request =
    draft.patient && typeId && start !== null
      ? {
          id: draft.id,
          patientId: draft.patient.id,
          chairId: draft.chairId,
          providerId: draft.providerId,
          typeId,
          start,
          durationMinutes: minutes,
        }
      : null;
  const settled = useDebounced(request ? JSON.stringify(request) : '', 250);

  // Clashes as soon as the form is complete, before anyone presses Book.
  useEffect(() => {
    if (!settled) return;
    let live = true;
    api
      .call('appointments.check', { appointment: JSON.parse(settled) })
      .then((c) => {
        if (live) setClash(c.openConflictIds.length > 0 ? c : null);
      })
      .catch(() => {
        if (live) setClash(null);
      });
    return () => {
      live = false;
    };
  }, [settled]);

  const book = async (withOverride: boolean) => {
    if (!draft.patient) {
      setFields({ patientId: 'Choose the patient' });
      return;
    }
    if (!request) {
      setFields({
        ...(typeId ? {} : { typeId: 'Choose the type of appointment' }),
        ...(start === null ? { start: 'Enter a time as HH:MM' } : {}),
      });
      return;
    }
    setBusy(true);
    setProblem(null);
    setFields({});
    try {
      let override: { reason: string; conflictIds: string[] } | undefined;
      if (withOverride) {
        const check = await api.call('appointments.check', { appointment: request });
        override = { reason, conflictIds: check.openConflictIds };
      }
      const booked = await api.call('appointments.book', {
        appointment: { ...request, ...(notes.trim() ? { notes } : {}) },
        ...(override ? { override } : {}),
      });
      const st = useSchedule.getState();
      st.closeDraft();
      st.say(`Booked ${timeSpan(booked.start, booked.end, timeZone)} for ${draft.patient.name}.`);
      await st.load();
      st.select(booked.id);
    } catch (e) {
      if (e instanceof AppError && e.code === 'CONFLICT' && !withOverride) {
        setMustOverride(true);
        setProblem(e.message);
        try {
          setClash(await api.call('appointments.check', { appointment: request }));
        } catch {
          // The refusal's own message already says what is in the way.
        }
      } else if (e instanceof AppError && e.fields?.length) {
        const map: Record<string, string> = {};
        for (const f of e.fields) map[f.path.replace(/^(appointment|override)\./, '')] = f.message;
        setFields(map);
        setProblem(e.message);
      } else setProblem(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const err = (path: string) => fields[path];

  return (
    <dialog
      ref={ref}
      className="dialog dialog--wide booking"
      aria-labelledby="booking-title"
      onCancel={(e) => {
        e.preventDefault();
        closeDraft();
      }}
    >
      <h2 id="booking-title">New appointment</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void book(mustOverride);
        }}
      >
        {draft.patient ? (
          <div className="picked">
            <span className="picked__label">Patient</span>
            <span className="picked__name" data-testid="booking-patient">
              {draft.patient.name}
            </span>
            <button
              type="button"
              className="button button--small"
              onClick={() => updateDraft({ patient: null })}
            >
              Change
            </button>
          </div>
        ) : (
          <PatientSearch
            id="booking-patient-search"
            label="Patient"
            error={err('patientId')}
            autoFocus
            onPick={(p) => updateDraft({ patient: p })}
          />
        )}
        <div className="grid grid--2 booking__grid">
          <Select
            id="booking-type"
            label="Type"
            value={typeId}
            error={err('typeId')}
            onChange={(v) => {
              setTypeId(v);
              const t = types.find((x) => x.id === v);
              const provider = setup?.providers.find((p) => p.id === draft.providerId);
              // Keep the provider if they may do the new type; else the first who may.
              if (t && provider && !t.allowedProviderKinds.includes(provider.kind)) {
                const next = setup?.providers.find(
                  (p) => p.active !== false && t.allowedProviderKinds.includes(p.kind),
                );
                if (next) updateDraft({ providerId: next.id });
              }
            }}
            options={[
              ['', 'Choose…'],
              ...types.map(
                (t) => [t.id, `${t.name} (${t.durationUnits * 5} min)`] as [string, string],
              ),
            ]}
          />
          <Select
            id="booking-provider"
            label="Provider"
            value={draft.providerId}
            error={err('providerId')}
            onChange={(v) => updateDraft({ providerId: v })}
            options={[
              ...(providers.some((p) => p.id === draft.providerId)
                ? []
                : [[draft.providerId, 'Choose…'] as [string, string]]),
              ...providers.map((p) => [p.id, p.name] as [string, string]),
            ]}
          />
          <Select
            id="booking-chair"
            label="Chair"
            value={draft.chairId}
            error={err('chairId')}
            onChange={(v) => updateDraft({ chairId: v })}
            options={chairs.map((c) => [c.id, c.name] as [string, string])}
          />
          <div className="grid grid--2">
            <Input id="booking-date" label="Date" type="date" value={date} onChange={setDate} />
            <Input
              id="booking-time"
              label="Start"
              type="time"
              step={300}
              value={time}
              error={err('start')}
              onChange={setTime}
            />
          </div>
          <Input
            id="booking-length"
            label="Length (minutes)"
            type="number"
            step={5}
            min={5}
            value={String(minutes)}
            error={err('durationMinutes') ?? err('end')}
            onChange={(v) => setLength(v === '' ? null : Number(v))}
          />
          <Input id="booking-notes" label="Notes" value={notes} onChange={setNotes} />
        </div>

        {clash ? (
          <div className="notice notice--warning clash-list" role="alert">
            <strong>This clashes with the book:</strong>
            <ul>
              {clash.descriptions.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {problem && !clash ? (
          <div className="notice notice--error" role="alert">
            {problem}
          </div>
        ) : null}
        {mustOverride ? (
          <div className="field">
            <div className="field__label">
              <label htmlFor="booking-reason">Reason for booking anyway</label>
            </div>
            <textarea
              id="booking-reason"
              rows={2}
              value={reason}
              aria-invalid={!!err('override.reason') || !!err('reason')}
              onChange={(e) => setReason(e.target.value)}
            />
            {err('reason') ? <div className="field__error">{err('reason')}</div> : null}
          </div>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={closeDraft}>
            Cancel
          </button>
          {mustOverride ? (
            <button
              type="submit"
              className="button button--danger"
              disabled={busy || reason.trim() === ''}
            >
              Book anyway
            </button>
          ) : (
            <button type="submit" className="button button--primary" disabled={busy}>
              Book
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
