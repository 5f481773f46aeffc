import { create } from 'zustand';
import type { StaffMember } from '../../../shared/ipc/staff';
import { can } from '../../../shared/permissions';
import { api, messageOf } from '../../api/client';
import { registerReset } from '../../stores/reset';
import { useSession } from '../../stores/session';

/** A clinician a staff account can be linked to (from the book's set-up). */
export interface ProviderChoice {
  id: string;
  name: string;
  active: boolean;
}

interface StaffState {
  members: StaffMember[] | null;
  providers: ProviderChoice[];
  error: string | null;
  load(): Promise<void>;
  /** A command answered with a fresher copy of one account. */
  replaced(member: StaffMember): void;
  reset(): void;
}

let loadSeq = 0;

export const useStaff = create<StaffState>()((set) => ({
  members: null,
  providers: [],
  error: null,

  async load() {
    const seq = ++loadSeq;
    const role = useSession.getState().session?.role;
    try {
      const [members, setup] = await Promise.all([
        api.call('staff.list', {}),
        role && can(role, 'scheduling.setup')
          ? api.call('scheduling.setup', {}).catch(() => null)
          : Promise.resolve(null),
      ]);
      if (seq !== loadSeq) return;
      set({
        members,
        providers: (setup?.setup.providers ?? []).map((p) => ({
          id: p.id,
          name: p.name,
          active: p.active !== false,
        })),
        error: null,
      });
    } catch (e) {
      if (seq !== loadSeq) return;
      set({ error: messageOf(e) });
    }
  },

  replaced(member) {
    set((s) => ({
      members: s.members
        ? s.members.some((m) => m.id === member.id)
          ? s.members.map((m) => (m.id === member.id ? member : m))
          : [...s.members, member]
        : s.members,
    }));
  },

  reset() {
    loadSeq += 1;
    set({ members: null, providers: [], error: null });
  },
}));

registerReset(() => useStaff.getState().reset());
