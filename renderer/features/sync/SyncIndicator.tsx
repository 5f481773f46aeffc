import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { useSection } from '../schedule/section';
import { summary, sinceText, useSync } from './store';
import './sync.css';

const POLL_MS = 15_000;

/**
 * Always in the top bar, under the clinic's name: online or offline, changes waiting to be sent,
 * the last successful sync and, when something is wrong, what, in words (in its title, its
 * accessible name and a live region). During a joining workstation's first pull it carries a
 * progress bar. It opens the sync screen.
 */
export function SyncIndicator() {
  const status = useSync((s) => s.status);
  const go = useSection((s) => s.go);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    void useSync.getState().refresh();
    const off = api.on('sync.status', (s) => useSync.getState().received(s));
    // "2 minutes ago" moves on by itself; the poll also catches a missed event.
    const timer = setInterval(() => {
      setNow(Date.now());
      void useSync.getState().refresh();
    }, POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);

  if (!status) return null;
  const { state, more, tone } = summary(status, now);
  const details = [
    status.connection === 'offline'
      ? 'The relay cannot be reached.'
      : status.enrolment === 'enrolled'
        ? `Last successful sync: ${sinceText(status.lastSyncAt, now)}.`
        : null,
    status.enrolment === 'enrolled' ? `${status.pending} change(s) waiting to be sent.` : null,
    status.error,
  ]
    .filter(Boolean)
    .join(' ');
  const bootstrap = status.bootstrap;
  return (
    <div className="sync-indicator">
      <button
        type="button"
        className={`sync-indicator__button sync-indicator__button--${tone}`}
        onClick={() => go('sync')}
        title={details || 'Sync with the clinic’s other workstations'}
        aria-label={`Sync: ${state}, ${more}. ${details}`.trim()}
      >
        <span className="sync-indicator__dot" aria-hidden="true" />
        <span className="sync-indicator__line">
          <span className="sync-indicator__state">{state}</span>
          <span className="sync-indicator__more"> · {more}</span>
        </span>
      </button>
      {bootstrap ? (
        <progress
          className="sync-indicator__progress"
          aria-label="Fetching the clinic’s records"
          max={Math.max(bootstrap.total, 1)}
          {...(bootstrap.total > 0 ? { value: Math.min(bootstrap.applied, bootstrap.total) } : {})}
        />
      ) : null}
      <span className="visually-hidden" role="status" aria-live="polite">
        {status.error ?? ''}
      </span>
    </div>
  );
}
