import { create } from 'zustand';
import type { SyncStatus } from '../../../shared/ipc/sync';
import { api } from '../../api/client';
import { registerReset } from '../../stores/reset';

interface SyncState {
  status: SyncStatus | null;
  /** Asks the core again (the indicator also listens to its `sync.status` events). */
  refresh(): Promise<void>;
  received(status: SyncStatus): void;
}

let seq = 0;

export const useSync = create<SyncState>()((set) => ({
  status: null,
  async refresh() {
    const mine = ++seq;
    try {
      const status = await api.call('sync.status', {});
      if (mine === seq) set({ status });
    } catch {
      // Signed out meanwhile, or the core is busy: the next event or poll tells.
    }
  },
  received(status) {
    seq += 1;
    set({ status });
  },
}));

registerReset(() => useSync.setState({ status: null }));

/** "just now", "4 minutes ago", "yesterday at 14:05"... for the last successful sync. */
export function sinceText(iso: string | null, now: number = Date.now()): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export type Tone = 'off' | 'ok' | 'busy' | 'warn' | 'bad';

/**
 * The indicator's two lines and colour: the state in a word or two, then what goes with it
 * (changes waiting, when it last synced, whether something needs attention).
 */
export function summary(
  s: SyncStatus,
  now: number = Date.now(),
): { state: string; more: string; tone: Tone } {
  const waiting = s.pending > 0 ? `${s.pending} waiting` : null;
  const last = `last sync ${sinceText(s.lastSyncAt, now)}`;
  const join = (...parts: Array<string | null>) => parts.filter(Boolean).join(' · ');
  if (s.enrolment === 'none') return { state: 'Sync off', more: 'Not set up', tone: 'off' };
  if (s.enrolment === 'joining')
    return { state: 'Joining', more: 'Waiting for approval', tone: 'busy' };
  if (s.enrolment === 'revoked')
    return { state: 'Sync stopped', more: 'This workstation was revoked', tone: 'bad' };
  if (s.bootstrap) {
    const { applied, total } = s.bootstrap;
    const share = total > 0 ? `${Math.min(100, Math.floor((100 * applied) / total))}%` : null;
    return { state: 'Fetching records', more: join(share, 'work goes on'), tone: 'busy' };
  }
  if (s.connection === 'offline')
    return { state: 'Offline', more: join(waiting, last), tone: 'bad' };
  if (s.connection === 'connecting' || s.connection === 'off')
    return { state: 'Connecting', more: join(waiting, last), tone: 'busy' };
  if (s.error || s.problems > 0)
    return {
      state: 'Synced',
      more: join('needs attention', waiting, sinceText(s.lastSyncAt, now)),
      tone: 'warn',
    };
  return { state: 'Synced', more: join(waiting, sinceText(s.lastSyncAt, now)), tone: 'ok' };
}
