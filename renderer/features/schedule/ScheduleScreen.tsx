import { useCallback, useEffect, useMemo, useState } from 'react';
import { todayIn } from '../../../shared/dates';
import type { BookAppointment } from '../../../shared/ipc/scheduling';
import { can } from '../../../shared/permissions';
import type { Conflict } from '../../../shared/scheduling';
import {
  addDays,
  conflictsByAppointment,
  createCalendar,
  dayBounds,
  zonedToUtc,
} from '../../../shared/scheduling';
import { api } from '../../api/client';
import { useSession } from '../../stores/session';
import { AppointmentPanel } from './AppointmentPanel';
import { ArrivalsList } from './ArrivalsList';
import { BookingDialog } from './BookingDialog';
import { ConflictInbox } from './ConflictInbox';
import { DayBook, type BookColumn, type CreateRequest } from './DayBook';
import { FreeSlotPanel } from './FreeSlotPanel';
import { dayWindow, gaps, type Window } from './geometry';
import { dateLabel, shortDateLabel } from './labels';
import { OverrideDialog } from './OverrideDialog';
import { RecallPanel } from './RecallPanel';
import { SetupPanel } from './SetupPanel';
import { useSchedule, weekStart, type GridStep } from './store';
import { WaitlistPanel } from './WaitlistPanel';
import './schedule.css';

/** Refreshes the "now" line twice a minute. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** Shaded spans of a chair's or provider's column on a date. */
function closedSpans(
  calendar: ReturnType<typeof createCalendar>,
  date: string,
  window: Window,
  who: { chairId?: string; providerId?: string },
) {
  const working = who.providerId ? calendar.workingOn(who.providerId, date) : null;
  const open = working
    ? working.filter((w) => calendar.openOn(date).some((o) => o.start < w.end && w.start < o.end))
    : calendar.openOn(date);
  const closures = [
    ...calendar.clinicClosures(window.start, window.end),
    ...(who.chairId ? calendar.chairClosures(who.chairId, window.start, window.end) : []),
    ...(who.providerId ? calendar.providerClosures(who.providerId, window.start, window.end) : []),
  ];
  return [...gaps(window, open), ...closures.map((c) => ({ start: c.start, end: c.end }))];
}

export function ScheduleScreen() {
  const clinic = useSession((s) => s.clinic);
  const role = useSession((s) => s.session?.role);
  const s = useSchedule();
  const now = useNow();
  const timeZone = s.setup?.setup.timeZone ?? clinic?.timeZone ?? 'UTC';
  const locale = clinic?.locale || 'en-GB';

  useEffect(() => {
    useSchedule.getState().start(clinic?.timeZone ?? 'UTC');
    const off = api.on('schedule.changed', (payload) =>
      useSchedule.getState().changed(payload?.setup === true),
    );
    return off;
  }, [clinic?.timeZone]);

  // Shortcuts that do not fight with typing: N books, T goes to today, arrows change the day.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (
        t &&
        (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) &&
        !e.altKey
      )
        return;
      if (document.querySelector('dialog[open]')) return;
      const st = useSchedule.getState();
      if (e.altKey && e.key === 'ArrowLeft') {
        e.preventDefault();
        st.shift(-1);
      } else if (e.altKey && e.key === 'ArrowRight') {
        e.preventDefault();
        st.shift(1);
      } else if (e.altKey && e.code === 'KeyT') {
        e.preventDefault();
        st.goToday();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const setup = s.setup?.setup ?? null;
  const calendar = useMemo(() => (setup ? createCalendar(setup) : null), [setup]);
  const appointments = useMemo(() => s.range?.appointments ?? [], [s.range]);
  const conflictsById = useMemo(() => conflictsByAppointment(s.range?.conflicts ?? []), [s.range]);
  const openConflicts = (s.range?.conflicts ?? []).filter((c: Conflict) => !c.acknowledged).length;
  const today = todayIn(timeZone);

  const layout = useMemo(() => {
    if (!setup || !calendar) return null;
    const chairs = setup.chairs.filter(
      (c) => c.active !== false || appointments.some((a) => a.chairId === c.id),
    );
    const providers = setup.providers.filter(
      (p) => p.active !== false || appointments.some((a) => a.providerId === p.id),
    );
    const firstChair = chairs.find((c) => c.active !== false) ?? chairs[0];
    const firstProvider = providers.find((p) => p.active !== false) ?? providers[0];
    if (s.view === 'week') {
      const monday = weekStart(s.date);
      const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
      const filter = s.weekFilter;
      const inFilter = (a: BookAppointment) =>
        !filter || (filter.kind === 'provider' ? a.providerId : a.chairId) === filter.id;
      const shown = appointments.filter(inFilter);
      // One wall-clock span for every day, so the rows line up across the week.
      const windows = dates.map((d) => dayWindow(d, calendar, shown, timeZone));
      const offsets = dates.map((d, i) => {
        const from = dayBounds(d, timeZone).start;
        return { start: windows[i]!.start - from, end: windows[i]!.end - from };
      });
      const earliest = Math.min(...offsets.map((o) => o.start));
      const latest = Math.max(...offsets.map((o) => o.end));
      const spans = new Map<string, Window>(
        dates.map((d) => {
          const b = dayBounds(d, timeZone);
          return [d, { start: b.start + earliest, end: Math.min(b.end, b.start + latest) }];
        }),
      );
      const columns: BookColumn[] = dates.map((d) => ({
        id: d,
        label: shortDateLabel(d, locale),
        closed: closedSpans(calendar, d, spans.get(d)!, {
          ...(filter?.kind === 'chair' ? { chairId: filter.id } : {}),
          ...(filter?.kind === 'provider' ? { providerId: filter.id } : {}),
        }),
        chairId: filter?.kind === 'chair' ? filter.id : (firstChair?.id ?? ''),
        providerId: filter?.kind === 'provider' ? filter.id : (firstProvider?.id ?? ''),
      }));
      return {
        date: monday,
        window: spans.get(monday)!,
        windowOf: (id: string) => spans.get(id)!,
        columns,
        appointments: shown,
        columnOf: (a: BookAppointment) =>
          dates.find((d) => a.start < spans.get(d)!.end && a.end > spans.get(d)!.start) ??
          dates.find((d) => a.start < dayBounds(d, timeZone).end) ??
          monday,
        columnField: 'date' as const,
      };
    }
    const window = dayWindow(s.date, calendar, appointments, timeZone);
    const columns: BookColumn[] =
      s.view === 'providers'
        ? providers.map((p) => ({
            id: p.id,
            label: p.name,
            colour: p.colour,
            closed: closedSpans(calendar, s.date, window, { providerId: p.id }),
            chairId: firstChair?.id ?? '',
            providerId: p.id,
          }))
        : chairs.map((c) => ({
            id: c.id,
            label: c.name,
            closed: closedSpans(calendar, s.date, window, { chairId: c.id }),
            chairId: c.id,
            providerId: firstProvider?.id ?? '',
          }));
    return {
      date: s.date,
      window,
      windowOf: undefined,
      columns,
      appointments,
      columnOf:
        s.view === 'providers'
          ? (a: BookAppointment) => a.providerId
          : (a: BookAppointment) => a.chairId,
      columnField: s.view === 'providers' ? ('providerId' as const) : ('chairId' as const),
    };
  }, [setup, calendar, appointments, s.view, s.date, s.weekFilter, timeZone, locale]);

  const onCreate = useCallback(
    (r: CreateRequest) => {
      if (!setup) return;
      // In the chairs view the provider is the one already working in that chair that day.
      const sameChair = appointments.find(
        (a) => a.chairId === r.column.chairId && a.status !== 'cancelled',
      );
      useSchedule.getState().startDraft({
        start: r.start,
        ...(r.end !== undefined ? { end: r.end } : {}),
        chairId: r.column.chairId,
        providerId: s.view === 'chairs' && sameChair ? sameChair.providerId : r.column.providerId,
        typeId: null,
        patient: null,
      });
    },
    [setup, appointments, s.view],
  );

  const newAppointment = () => {
    if (!setup || !layout) return;
    const column = layout.columns[0];
    if (!column) return;
    const start =
      s.date === today
        ? Math.max(layout.window.start, Math.ceil(now / 900_000) * 900_000)
        : zonedToUtc(s.view === 'week' ? s.date : layout.date, '09:00', timeZone);
    onCreate({ start, column });
  };

  const canSetUp = role ? can(role, 'scheduling.saveChair') : false;
  const title =
    s.view === 'week'
      ? `Week of ${dateLabel(weekStart(s.date), locale)}`
      : dateLabel(s.date, locale, true);

  return (
    <section className="schedule" aria-labelledby="schedule-title">
      <div className="schedule__bar">
        <h1 id="schedule-title" className="schedule__title">
          {title}
          {s.date === today && s.view !== 'week' ? (
            <span className="schedule__today">Today</span>
          ) : null}
        </h1>
        <div className="schedule__nav" role="group" aria-label="Date">
          <button
            type="button"
            className="button button--small"
            onClick={() => s.shift(-1)}
            aria-label={s.view === 'week' ? 'Previous week' : 'Previous day'}
            aria-keyshortcuts="Alt+ArrowLeft"
          >
            ‹
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={s.goToday}
            aria-keyshortcuts="Alt+T"
          >
            Today
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={() => s.shift(1)}
            aria-label={s.view === 'week' ? 'Next week' : 'Next day'}
            aria-keyshortcuts="Alt+ArrowRight"
          >
            ›
          </button>
          <label className="visually-hidden" htmlFor="schedule-date">
            Go to date
          </label>
          <input
            id="schedule-date"
            type="date"
            className="schedule__date"
            value={s.date}
            onChange={(e) => s.setDate(e.target.value)}
          />
        </div>
        <div className="segmented" role="group" aria-label="View">
          {(
            [
              ['chairs', 'Chairs'],
              ['providers', 'Providers'],
              ['week', 'Week'],
            ] as const
          ).map(([v, label]) => (
            <button
              key={v}
              type="button"
              className="segmented__item"
              aria-pressed={s.view === v}
              onClick={() => s.setView(v)}
            >
              {label}
            </button>
          ))}
        </div>
        {s.view === 'week' && setup ? (
          <select
            aria-label="Show the week of"
            className="schedule__select"
            value={s.weekFilter ? `${s.weekFilter.kind}:${s.weekFilter.id}` : ''}
            onChange={(e) => {
              const [kind, id] = e.target.value.split(':') as ['provider' | 'chair', string];
              s.setWeekFilter({ kind, id });
            }}
          >
            <optgroup label="Providers">
              {setup.providers.map((p) => (
                <option key={p.id} value={`provider:${p.id}`}>
                  {p.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="Chairs">
              {setup.chairs.map((c) => (
                <option key={c.id} value={`chair:${c.id}`}>
                  {c.name}
                </option>
              ))}
            </optgroup>
          </select>
        ) : null}
        <label className="schedule__inline">
          Grid
          <select
            className="schedule__select"
            value={s.step}
            onChange={(e) => s.setStep(Number(e.target.value) as GridStep)}
          >
            <option value={5}>5 min</option>
            <option value={10}>10 min</option>
            <option value={15}>15 min</option>
          </select>
        </label>
        <label className="schedule__inline">
          <input
            type="checkbox"
            checked={s.showCancelled}
            onChange={(e) => s.setShowCancelled(e.target.checked)}
          />
          Cancelled
        </label>
      </div>
      <div className="schedule__actions" role="toolbar" aria-label="Book actions">
        <button
          type="button"
          className="button button--primary button--small"
          onClick={newAppointment}
        >
          New appointment
        </button>
        <PanelButton kind="freeSlots" label="Find a free slot" />
        <PanelButton kind="arrivals" label="Arrivals" />
        <PanelButton kind="waitlist" label="Waitlist" />
        <PanelButton kind="recalls" label="Recalls" />
        <PanelButton
          kind="conflicts"
          label={openConflicts > 0 ? `Conflicts (${openConflicts} here)` : 'Conflicts'}
          alert={openConflicts > 0}
        />
        {canSetUp ? <PanelButton kind="setup" label="Set-up" /> : null}
        <span className="schedule__status" role="status" aria-live="polite">
          {s.loading ? 'Loading…' : (s.notice ?? '')}
        </span>
      </div>
      {s.error || s.setupError ? (
        <div className="notice notice--error" role="alert">
          {s.error ?? s.setupError}
        </div>
      ) : null}
      <div className={`schedule__main${s.panel.kind !== 'none' ? ' schedule__main--panel' : ''}`}>
        {setup && layout ? (
          setup.chairs.length === 0 ? (
            <div className="schedule__empty">
              <p>No chairs are set up yet.</p>
              {canSetUp ? (
                <button
                  type="button"
                  className="button button--primary"
                  onClick={() => s.openPanel({ kind: 'setup' })}
                >
                  Set up the book
                </button>
              ) : (
                <p className="muted">Ask the practice manager to set up chairs and providers.</p>
              )}
            </div>
          ) : (
            <DayBook
              label={
                s.view === 'week'
                  ? title
                  : `${s.view === 'providers' ? 'Providers' : 'Chairs'} on ${title}`
              }
              date={layout.date}
              window={layout.window}
              {...(layout.windowOf ? { windowOf: layout.windowOf } : {})}
              step={s.step}
              columns={layout.columns}
              columnOf={layout.columnOf}
              columnField={layout.columnField}
              appointments={layout.appointments}
              conflictsById={conflictsById}
              setup={setup}
              selectedId={s.selectedId}
              now={now}
              showCancelled={s.showCancelled}
              onSelect={(id) => s.select(id)}
              onCreate={onCreate}
              onChange={(id, changes) => void s.change(id, changes)}
            />
          )
        ) : (
          <p className="muted">Opening the book…</p>
        )}
        {s.panel.kind !== 'none' ? (
          <aside className="schedule__panel" aria-label="Details">
            {s.panel.kind === 'appointment' ? <AppointmentPanel id={s.panel.id} /> : null}
            {s.panel.kind === 'freeSlots' ? (
              <FreeSlotPanel
                key={JSON.stringify(s.panel.prefill ?? {})}
                prefill={s.panel.prefill}
              />
            ) : null}
            {s.panel.kind === 'arrivals' ? <ArrivalsList /> : null}
            {s.panel.kind === 'waitlist' ? <WaitlistPanel /> : null}
            {s.panel.kind === 'recalls' ? <RecallPanel /> : null}
            {s.panel.kind === 'conflicts' ? <ConflictInbox /> : null}
            {s.panel.kind === 'setup' ? <SetupPanel /> : null}
          </aside>
        ) : null}
      </div>
      {s.draft ? <BookingDialog key={s.draft.id} /> : null}
      {s.pendingOverride ? <OverrideDialog /> : null}
    </section>
  );
}

function PanelButton({
  kind,
  label,
  alert,
}: {
  kind: 'freeSlots' | 'arrivals' | 'waitlist' | 'recalls' | 'conflicts' | 'setup';
  label: string;
  alert?: boolean;
}) {
  const current = useSchedule((s) => s.panel.kind);
  const openPanel = useSchedule((s) => s.openPanel);
  return (
    <button
      type="button"
      className={`button button--small${alert ? ' button--alert' : ''}`}
      aria-pressed={current === kind}
      onClick={() => openPanel(current === kind ? { kind: 'none' } : { kind })}
    >
      {label}
    </button>
  );
}
