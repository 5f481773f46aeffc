import { create } from 'zustand';
import type { AppStatus, Clinic, Session } from '../../shared/domain/clinic';
import { AppError } from '../../shared/errors';
import { api, messageOf } from '../api/client';
import { clearPatientData } from './reset';

export type Phase = 'starting' | 'unreachable' | 'setup' | 'signed-out' | 'signed-in';

interface SessionState {
  phase: Phase;
  clinic: Clinic | null;
  session: Session | null;
  problem: string | null;
  /** Who locked this workstation (signed out with a lock screen); null when not locked. */
  lockedBy: AppStatus['lockedBy'];
  /** Minutes without input before the workstation locks; null until the core has said. */
  idleLockMinutes: number | null;
  /** Asks the core where we are: not set up, signed out or signed in. */
  refresh(): Promise<void>;
  logout(): Promise<void>;
  /** Locks the workstation: patient data is cleared here and the core closes the store. */
  lock(): Promise<void>;
  /** The core closed the session (logout elsewhere, idle lock): forget everything. */
  ended(reason?: 'logout' | 'locked'): void;
}

let refreshSeq = 0;

export const useSession = create<SessionState>()((set, get) => ({
  phase: 'starting',
  clinic: null,
  session: null,
  problem: null,
  lockedBy: null,
  idleLockMinutes: null,

  async refresh() {
    const seq = ++refreshSeq;
    try {
      const status = await api.call('app.status', {});
      if (seq !== refreshSeq) return;
      set({ lockedBy: status.lockedBy, idleLockMinutes: status.idleLockMinutes });
      if (!status.setUp) set({ phase: 'setup', clinic: null, session: null, problem: null });
      else if (status.session)
        set({
          phase: 'signed-in',
          clinic: status.clinic,
          session: status.session,
          problem: null,
        });
      else {
        if (get().phase === 'signed-in') clearPatientData();
        set({ phase: 'signed-out', clinic: status.clinic, session: null, problem: null });
      }
    } catch (e) {
      if (seq !== refreshSeq) return;
      const problem =
        e instanceof AppError && e.code === 'FORBIDDEN_SENDER'
          ? 'This window was opened without its access key. Open the address Enamel printed when it started.'
          : messageOf(e);
      set({ phase: 'unreachable', problem });
    }
  },

  async logout() {
    // Clear first: even if the core does not answer, nothing stays on screen.
    clearPatientData();
    set({ phase: 'signed-out', session: null });
    try {
      await api.call('session.logout', {});
    } catch {
      // The session is gone on this side either way; the next status call tells the truth.
    }
    await get().refresh();
  },

  async lock() {
    const session = get().session;
    if (get().phase !== 'signed-in' || !session) return;
    // Clear first and show the lock screen at once, whatever the core takes to answer.
    clearPatientData();
    set({
      phase: 'signed-out',
      session: null,
      lockedBy: { username: session.username, displayName: session.displayName },
    });
    try {
      await api.call('session.lock', {});
    } catch {
      // The next status call tells the truth.
    }
    await get().refresh();
  },

  ended(reason) {
    clearPatientData();
    const session = get().session;
    if (get().phase === 'signed-in')
      set({
        phase: 'signed-out',
        session: null,
        // Straight to the lock screen rather than a flash of the sign-in form.
        lockedBy:
          reason === 'locked' && session
            ? { username: session.username, displayName: session.displayName }
            : null,
      });
    void get().refresh();
  },
}));
