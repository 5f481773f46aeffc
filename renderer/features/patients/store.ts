import { create } from 'zustand';
import type { FieldChange, PatientSummary } from '../../../shared/domain/patient';
import { AppError } from '../../../shared/errors';
import type { PatientRecord } from '../../../shared/ipc/patients';
import { api, messageOf } from '../../api/client';
import { registerReset } from '../../stores/reset';

export type PatientView =
  | { kind: 'list' }
  | { kind: 'detail'; id: string }
  | { kind: 'new' }
  | { kind: 'edit'; id: string };

/** Rows fetched per `patients.list` call. */
export const PAGE_SIZE = 100;
/** Type-ahead waits this long after the last key before asking the core. */
export const SEARCH_DELAY_MS = 120;
/** Matches shown for a search; past that staff are asked to keep typing. */
export const SEARCH_LIMIT = 50;

interface PatientsData {
  view: PatientView;
  query: string;
  /** Matches for `query`; null while the box is empty or before the first answer. */
  results: PatientSummary[] | null;
  more: boolean;
  searching: boolean;
  searchError: string | null;
  /** Patients in the full list; null until the first page arrives. */
  total: number | null;
  /** Pages of the full list by page number; kept while a fresher copy loads. */
  pages: Record<number, PatientSummary[]>;
  /** Bumped whenever the list may be stale, so visible pages are fetched again. */
  listGeneration: number;
  listError: string | null;
  /** The open record, as this role sees it (clinical details may be withheld). */
  patient: PatientRecord | null;
  patientError: string | null;
  /** The core refused the record to this role: emergency access may be offered. */
  patientDenied: boolean;
  history: FieldChange[] | null;
  historyError: string | null;
}

interface PatientsActions {
  setQuery(query: string): void;
  searchNow(): Promise<void>;
  /** Makes sure the pages holding rows `first..last` of the full list are loaded or loading. */
  ensureRows(first: number, last: number): void;
  showList(): void;
  open(id: string): void;
  startNew(): void;
  startEdit(id: string): void;
  loadPatient(id: string): Promise<void>;
  loadHistory(id: string): Promise<void>;
  archive(id: string): Promise<void>;
  /** A create or update succeeded: show the saved record. */
  saved(patient: PatientRecord): void;
  /** The core says these patients changed (here or on another window). */
  changed(ids: string[]): void;
  reset(): void;
}

export type PatientsState = PatientsData & PatientsActions;

const initial = (): PatientsData => ({
  view: { kind: 'list' },
  query: '',
  results: null,
  more: false,
  searching: false,
  searchError: null,
  total: null,
  pages: {},
  listGeneration: 0,
  listError: null,
  patient: null,
  patientError: null,
  patientDenied: false,
  history: null,
  historyError: null,
});

// Bookkeeping that never renders: which generation each page holds or is fetching, and the
// sequence numbers that let a late answer to an older request be dropped.
const loadedGeneration = new Map<number, number>();
const fetchingGeneration = new Map<number, number>();
let searchTimer: ReturnType<typeof setTimeout> | null = null;
let searchSeq = 0;
let patientSeq = 0;
let historySeq = 0;
let epoch = 0;

function cancelSearch(): void {
  if (searchTimer) clearTimeout(searchTimer);
  searchTimer = null;
  searchSeq += 1;
}

export const usePatients = create<PatientsState>()((set, get) => ({
  ...initial(),

  setQuery(query) {
    cancelSearch();
    if (query.trim() === '') {
      set({ query, results: null, more: false, searching: false, searchError: null });
      return;
    }
    set({ query, searching: true });
    searchTimer = setTimeout(() => {
      searchTimer = null;
      void get().searchNow();
    }, SEARCH_DELAY_MS);
  },

  async searchNow() {
    const seq = ++searchSeq;
    const query = get().query;
    if (query.trim() === '') return;
    set({ searching: true });
    try {
      const found = await api.call('patients.search', { query, limit: SEARCH_LIMIT });
      if (seq !== searchSeq) return;
      set({ results: found.items, more: found.more, searching: false, searchError: null });
    } catch (e) {
      if (seq !== searchSeq) return;
      set({ searching: false, searchError: messageOf(e) });
    }
  },

  ensureRows(first, last) {
    const { listGeneration: generation, total } = get();
    // Until the first page tells the total, only the first page is asked for.
    const lastRow = total === null ? first : Math.min(last, total - 1);
    const firstPage = Math.floor(Math.max(first, 0) / PAGE_SIZE);
    const lastPage = Math.max(firstPage, Math.floor(Math.max(lastRow, 0) / PAGE_SIZE));
    for (let page = firstPage; page <= lastPage; page += 1) {
      if (loadedGeneration.get(page) === generation || fetchingGeneration.get(page) === generation)
        continue;
      fetchingGeneration.set(page, generation);
      const started = epoch;
      api
        .call('patients.list', { offset: page * PAGE_SIZE, limit: PAGE_SIZE })
        .then((result) => {
          if (started !== epoch || get().listGeneration !== generation) return;
          loadedGeneration.set(page, generation);
          set((s) => ({
            total: result.total,
            pages: { ...s.pages, [page]: result.items },
            listError: null,
          }));
        })
        .catch((e: unknown) => {
          if (started !== epoch || get().listGeneration !== generation) return;
          set({ listError: messageOf(e) });
        })
        .finally(() => {
          if (fetchingGeneration.get(page) === generation) fetchingGeneration.delete(page);
        });
    }
  },

  showList() {
    set({ view: { kind: 'list' }, history: null, historyError: null });
  },

  open(id) {
    const current = get().patient;
    set({
      view: { kind: 'detail', id },
      patient: current?.id === id ? current : null,
      patientError: null,
      patientDenied: false,
      history: null,
      historyError: null,
    });
    void get().loadPatient(id);
  },

  startNew() {
    set({ view: { kind: 'new' } });
  },

  startEdit(id) {
    set({ view: { kind: 'edit', id } });
    if (get().patient?.id !== id) void get().loadPatient(id);
  },

  async loadPatient(id) {
    const seq = ++patientSeq;
    try {
      const patient = await api.call('patients.get', { id });
      if (seq !== patientSeq) return;
      set({ patient, patientError: null, patientDenied: false });
    } catch (e) {
      if (seq !== patientSeq) return;
      set({
        patient: null,
        patientError: messageOf(e),
        patientDenied: e instanceof AppError && e.code === 'NOT_ALLOWED',
      });
    }
  },

  async loadHistory(id) {
    const seq = ++historySeq;
    set({ historyError: null });
    try {
      const history = await api.call('patients.history', { id });
      if (seq !== historySeq) return;
      set({ history });
    } catch (e) {
      if (seq !== historySeq) return;
      set({ historyError: messageOf(e) });
    }
  },

  async archive(id) {
    const patient = await api.call('patients.archive', { id });
    patientSeq += 1;
    set({ patient });
  },

  saved(patient) {
    patientSeq += 1;
    set({
      view: { kind: 'detail', id: patient.id },
      patient,
      patientError: null,
      history: null,
      historyError: null,
    });
  },

  changed(ids) {
    const s = get();
    set({ listGeneration: s.listGeneration + 1 });
    if (s.query.trim() !== '') void get().searchNow();
    const open = 'id' in s.view ? s.view.id : null;
    if (open && (ids.length === 0 || ids.includes(open))) {
      void get().loadPatient(open);
      if (s.history) void get().loadHistory(open);
    }
  },

  reset() {
    cancelSearch();
    epoch += 1;
    patientSeq += 1;
    historySeq += 1;
    loadedGeneration.clear();
    fetchingGeneration.clear();
    set(initial());
  },
}));

registerReset(() => usePatients.getState().reset());
