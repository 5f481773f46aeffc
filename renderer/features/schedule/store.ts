import { v7 as uuidv7 } from 'uuid';
import { create } from 'zustand';
import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import type {
  SETTABLE_STATUSES,
  AppointmentChanges,
  AppointmentDetail,
  BookAppointment,
  BookRange,
  CancelResult,
  SchedulingSetupView,
} from '../../../shared/ipc/scheduling';
import type { BookingOverride, FreeSlotRequest } from '../../../shared/scheduling';

export type SettableStatus = (typeof SETTABLE_STATUSES)[number];
import { addDays, weekdayOf, WEEKDAYS } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { registerReset } from '../../stores/reset';

export type BookView = 'chairs' | 'providers' | 'week';
export type GridStep = 5 | 10 | 15;

/** What the side panel shows. */
export type Panel =
  | { kind: 'none' }
  | { kind: 'appointment'; id: string }
  | { kind: 'freeSlots'; prefill?: SlotPrefill }
  | { kind: 'waitlist' }
  | { kind: 'recalls' }
  | { kind: 'conflicts' }
  | { kind: 'arrivals' }
  | { kind: 'setup' };

/** A search started from somewhere that already knows who and what (recall, waitlist, record). */
export interface SlotPrefill {
  patient?: { id: string; name: string };
  typeId?: string;
  providerId?: string;
  recallId?: string;
}

/** A booking being made: its id is fixed when the form opens (conflict ids derive from it). */
export interface Draft {
  id: string;
  start: number;
  /** Unset: the type's default length. */
  end?: number;
  chairId: string;
  providerId: string;
  typeId: string | null;
  patient: { id: string; name: string } | null;
}

/** A move or status change the core refused for clashes, waiting for a reason. */
export interface PendingOverride {
  title: string;
  descriptions: string[];
  conflictIds: string[];
  retry(override: BookingOverride): Promise<void>;
}

export interface WeekFilter {
  kind: 'provider' | 'chair';
  id: string;
}

interface Prefs {
  view: BookView;
  step: GridStep;
  showCancelled: boolean;
}

const PREFS_KEY = 'enamel.schedule.prefs';

function readPrefs(): Prefs {
  const fallback: Prefs = { view: 'chairs', step: 10, showCancelled: false };
  try {
    const raw = globalThis.localStorage?.getItem(PREFS_KEY);
    if (!raw) return fallback;
    const p = JSON.parse(raw) as Partial<Prefs>;
    return {
      view: p.view === 'providers' || p.view === 'week' ? p.view : 'chairs',
      step: p.step === 5 || p.step === 15 ? p.step : 10,
      showCancelled: p.showCancelled === true,
    };
  } catch {
    return fallback;
  }
}

function savePrefs(p: Prefs): void {
  try {
    globalThis.localStorage?.setItem(PREFS_KEY, JSON.stringify(p));
  } catch {
    // A workstation without storage keeps its choices for the session only.
  }
}

interface ScheduleData extends Prefs {
  setup: SchedulingSetupView | null;
  setupError: string | null;
  date: string;
  weekFilter: WeekFilter | null;
  range: BookRange | null;
  loading: boolean;
  error: string | null;
  panel: Panel;
  selectedId: string | null;
  detail: AppointmentDetail | null;
  draft: Draft | null;
  pendingOverride: PendingOverride | null;
  /** The last thing that happened, announced to screen readers and shown in the toolbar. */
  notice: string | null;
  /** Set when a cancellation freed time and the waitlist had takers. */
  lastCancel: CancelResult | null;
}

interface ScheduleActions {
  start(timeZone: string): void;
  loadSetup(): Promise<void>;
  load(): Promise<void>;
  setDate(date: string): void;
  shift(direction: -1 | 1): void;
  goToday(): void;
  setView(view: BookView): void;
  setStep(step: GridStep): void;
  setShowCancelled(show: boolean): void;
  setWeekFilter(filter: WeekFilter): void;
  openPanel(panel: Panel): void;
  select(id: string | null): void;
  loadDetail(id: string): Promise<void>;
  startDraft(draft: Omit<Draft, 'id'>): void;
  updateDraft(patch: Partial<Draft>): void;
  closeDraft(): void;
  /** Moves, resizes or edits; a clash opens the override question. */
  change(id: string, changes: AppointmentChanges): Promise<void>;
  setStatus(id: string, status: SettableStatus): Promise<void>;
  cancel(id: string, reason: string, by: 'patient' | 'clinic'): Promise<CancelResult>;
  dismissOverride(): void;
  say(notice: string | null): void;
  changed(setup: boolean): void;
  reset(): void;
}

export type ScheduleState = ScheduleData & ScheduleActions;

let timeZone = 'UTC';
let rangeSeq = 0;
let detailSeq = 0;

const initial = (): ScheduleData => ({
  ...readPrefs(),
  setup: null,
  setupError: null,
  date: todayIn(timeZone),
  weekFilter: null,
  range: null,
  loading: false,
  error: null,
  panel: { kind: 'none' },
  selectedId: null,
  detail: null,
  draft: null,
  pendingOverride: null,
  notice: null,
  lastCancel: null,
});

/** The Monday of the date's week: the week view always shows Monday to Sunday. */
export function weekStart(date: string): string {
  return addDays(date, -WEEKDAYS.indexOf(weekdayOf(date)));
}

export function clinicTimeZone(): string {
  return timeZone;
}

export const useSchedule = create<ScheduleState>()((set, get) => {
  const prefs = () => {
    const { view, step, showCancelled } = get();
    savePrefs({ view, step, showCancelled });
  };

  /** Asks the core which open conflicts a change would cause, for the override question. */
  const askOverride = async (
    title: string,
    appointment: BookAppointment,
    changes: AppointmentChanges,
    retry: (override: BookingOverride) => Promise<void>,
  ) => {
    const start = changes.start ?? appointment.start;
    const end =
      changes.end ??
      (changes.durationMinutes !== undefined
        ? start + changes.durationMinutes * 60_000
        : start + (appointment.end - appointment.start));
    const check = await api.call('appointments.check', {
      appointment: {
        id: appointment.id,
        patientId: appointment.patientId,
        chairId: changes.chairId ?? appointment.chairId,
        providerId: changes.providerId ?? appointment.providerId,
        typeId: changes.typeId ?? appointment.typeId,
        start,
        end,
      },
    });
    set({
      pendingOverride: {
        title,
        descriptions: check.descriptions,
        conflictIds: check.openConflictIds,
        retry,
      },
    });
  };

  const find = (id: string) =>
    get().range?.appointments.find((a) => a.id === id) ??
    (get().detail?.id === id ? get().detail : null);

  return {
    ...initial(),

    start(zone) {
      if (zone && zone !== timeZone) {
        timeZone = zone;
        set({ date: todayIn(zone) });
      }
      if (!get().setup) void get().loadSetup();
      void get().load();
    },

    async loadSetup() {
      try {
        const setup = await api.call('scheduling.setup', {});
        set({ setup, setupError: null });
        const filter = get().weekFilter;
        if (!filter && setup.setup.providers.length > 0) {
          const first = setup.setup.providers.find((p) => p.active !== false);
          if (first) set({ weekFilter: { kind: 'provider', id: first.id } });
        }
      } catch (e) {
        set({ setupError: messageOf(e) });
      }
    },

    async load() {
      const seq = ++rangeSeq;
      const { view, date } = get();
      const from = view === 'week' ? weekStart(date) : date;
      set({ loading: true });
      try {
        const range = await api.call('appointments.range', {
          from,
          days: view === 'week' ? 7 : 1,
        });
        if (seq !== rangeSeq) return;
        set({ range, loading: false, error: null });
      } catch (e) {
        if (seq !== rangeSeq) return;
        set({ loading: false, error: messageOf(e) });
      }
    },

    setDate(date) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return;
      set({ date });
      void get().load();
    },

    shift(direction) {
      const step = get().view === 'week' ? 7 : 1;
      get().setDate(addDays(get().date, direction * step));
    },

    goToday() {
      get().setDate(todayIn(timeZone));
    },

    setView(view) {
      set({ view });
      prefs();
      void get().load();
    },

    setStep(step) {
      set({ step });
      prefs();
    },

    setShowCancelled(showCancelled) {
      set({ showCancelled });
      prefs();
    },

    setWeekFilter(weekFilter) {
      set({ weekFilter });
    },

    openPanel(panel) {
      set({
        panel,
        selectedId: panel.kind === 'appointment' ? panel.id : get().selectedId,
        lastCancel: null,
      });
      if (panel.kind === 'appointment') void get().loadDetail(panel.id);
    },

    select(id) {
      if (id === null) {
        set({ selectedId: null, panel: { kind: 'none' }, detail: null });
        return;
      }
      get().openPanel({ kind: 'appointment', id });
    },

    async loadDetail(id) {
      const seq = ++detailSeq;
      try {
        const detail = await api.call('appointments.get', { id });
        if (seq !== detailSeq) return;
        set({ detail });
      } catch (e) {
        if (seq !== detailSeq) return;
        set({ detail: null, notice: messageOf(e) });
      }
    },

    startDraft(draft) {
      set({ draft: { ...draft, id: uuidv7() } });
    },

    updateDraft(patch) {
      const draft = get().draft;
      if (draft) set({ draft: { ...draft, ...patch } });
    },

    closeDraft() {
      set({ draft: null });
    },

    async change(id, changes) {
      const appointment = find(id);
      const attempt = async (override?: BookingOverride) => {
        await api.call('appointments.update', { id, changes, ...(override ? { override } : {}) });
        set({ pendingOverride: null, notice: 'Appointment moved.' });
        await get().load();
        if (get().selectedId === id) await get().loadDetail(id);
      };
      try {
        await attempt();
      } catch (e) {
        if (e instanceof AppError && e.code === 'CONFLICT' && appointment) {
          await askOverride('Move into a clash?', appointment, changes, attempt);
          return;
        }
        set({ notice: messageOf(e) });
        await get().load();
      }
    },

    async setStatus(id, status) {
      const appointment = find(id);
      const attempt = async (override?: BookingOverride) => {
        await api.call('appointments.setStatus', {
          id,
          status,
          ...(override ? { override } : {}),
        });
        set({ pendingOverride: null, notice: null });
        await Promise.all([get().load(), get().loadDetail(id)]);
      };
      try {
        await attempt();
      } catch (e) {
        if (e instanceof AppError && e.code === 'CONFLICT' && appointment) {
          await askOverride('Reinstate into a clash?', appointment, {}, attempt);
          return;
        }
        throw e;
      }
    },

    async cancel(id, reason, by) {
      const result = await api.call('appointments.cancel', { id, reason, by });
      set({ lastCancel: result });
      await Promise.all([get().load(), get().loadDetail(id)]);
      return result;
    },

    dismissOverride() {
      set({ pendingOverride: null });
      void get().load();
    },

    say(notice) {
      set({ notice });
    },

    changed(setup) {
      if (setup) void get().loadSetup();
      void get().load();
      const id = get().selectedId;
      if (id) void get().loadDetail(id);
    },

    reset() {
      rangeSeq += 1;
      detailSeq += 1;
      set(initial());
    },
  };
});

registerReset(() => useSchedule.getState().reset());

/** A free-slot request as the search form builds it. */
export type SlotSearch = FreeSlotRequest;
