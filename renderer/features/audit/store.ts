import { create } from 'zustand';
import type { AuditEvent, AuditVerification } from '../../../shared/domain/audit';
import type { BreakGlassGrant } from '../../../shared/ipc/audit';
import type { InputOf } from '../../../shared/ipc/contract';
import { api, messageOf } from '../../api/client';
import { registerReset } from '../../stores/reset';

/** Events per page of the trail. */
export const AUDIT_PAGE_SIZE = 100;

export interface AuditFilters {
  patientId: string;
  /** How the patient was picked ("Müller, Zoë"), when found by search; never sent anywhere. */
  patientLabel: string | null;
  actorId: string;
  action: string;
  /** YYYY-MM-DD, inclusive, or ''. */
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = {
  patientId: '',
  patientLabel: null,
  actorId: '',
  action: '',
  from: '',
  to: '',
};

/** The filters as the core takes them: empty ones left out; both dates are the clinic's days. */
export function filterArgs(f: AuditFilters): InputOf<'audit.export'> {
  return {
    ...(f.patientId ? { patientId: f.patientId } : {}),
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.from ? { from: f.from } : {}),
    ...(f.to ? { to: f.to } : {}),
  };
}

interface AuditState {
  filters: AuditFilters;
  events: AuditEvent[] | null;
  nextBeforeSeq: number | null;
  loading: boolean;
  error: string | null;
  verification: AuditVerification | null;
  verifying: boolean;
  verifyError: string | null;
  grants: BreakGlassGrant[] | null;
  /** When `grants` was fetched (ms): whether each is still open is told as of then. */
  grantsAt: number;
  grantsError: string | null;
  /** Replaces the filters and loads the newest page for them. */
  apply(filters: AuditFilters): Promise<void>;
  loadOlder(): Promise<void>;
  verify(): Promise<void>;
  loadGrants(): Promise<void>;
  review(id: string): Promise<void>;
  reset(): void;
}

const initial = () => ({
  filters: NO_FILTERS,
  events: null,
  nextBeforeSeq: null,
  loading: false,
  error: null,
  verification: null,
  verifying: false,
  verifyError: null,
  grants: null,
  grantsAt: 0,
  grantsError: null,
});

// A late answer to an older request (or one sent before a lock) is dropped.
let listSeq = 0;
let verifySeq = 0;
let grantsSeq = 0;

export const useAudit = create<AuditState>()((set, get) => ({
  ...initial(),

  async apply(filters) {
    const seq = ++listSeq;
    set({ filters, loading: true, error: null });
    try {
      const page = await api.call('audit.list', {
        ...filterArgs(filters),
        limit: AUDIT_PAGE_SIZE,
      });
      if (seq !== listSeq) return;
      set({ events: page.items, nextBeforeSeq: page.nextBeforeSeq, loading: false });
    } catch (e) {
      if (seq !== listSeq) return;
      set({ events: [], nextBeforeSeq: null, loading: false, error: messageOf(e) });
    }
  },

  async loadOlder() {
    const { filters, nextBeforeSeq, loading } = get();
    if (nextBeforeSeq === null || loading) return;
    const seq = ++listSeq;
    set({ loading: true, error: null });
    try {
      const page = await api.call('audit.list', {
        ...filterArgs(filters),
        beforeSeq: nextBeforeSeq,
        limit: AUDIT_PAGE_SIZE,
      });
      if (seq !== listSeq) return;
      set((s) => ({
        events: [...(s.events ?? []), ...page.items],
        nextBeforeSeq: page.nextBeforeSeq,
        loading: false,
      }));
    } catch (e) {
      if (seq !== listSeq) return;
      set({ loading: false, error: messageOf(e) });
    }
  },

  async verify() {
    const seq = ++verifySeq;
    set({ verifying: true, verification: null, verifyError: null });
    try {
      const verification = await api.call('audit.verify', {});
      if (seq !== verifySeq) return;
      set({ verification, verifying: false });
    } catch (e) {
      if (seq !== verifySeq) return;
      set({ verifying: false, verifyError: messageOf(e) });
    }
  },

  async loadGrants() {
    const seq = ++grantsSeq;
    try {
      const grants = await api.call('access.listBreakGlass', { unreviewedOnly: true });
      if (seq !== grantsSeq) return;
      set({ grants, grantsAt: Date.now(), grantsError: null });
    } catch (e) {
      if (seq !== grantsSeq) return;
      set({ grantsError: messageOf(e) });
    }
  },

  async review(id) {
    await api.call('access.reviewBreakGlass', { id });
    grantsSeq += 1;
    set((s) => ({ grants: s.grants?.filter((g) => g.id !== id) ?? null }));
  },

  reset() {
    listSeq += 1;
    verifySeq += 1;
    grantsSeq += 1;
    set(initial());
  },
}));

registerReset(() => useAudit.getState().reset());
