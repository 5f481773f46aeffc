import { useCallback, useEffect, useState } from 'react';
import { todayIn } from '../../../shared/dates';
import type { ConflictView } from '../../../shared/ipc/scheduling';
import { addDays, utcToZoned } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { PanelHead } from './AppointmentPanel';
import { STATUS_LABELS, callName, timeSpan } from './labels';
import { useSchedule } from './store';

/**
 * Open conflicts of the coming weeks, from the shared rules over the merged data: double
 * bookings (including those made on two workstations offline), bookings outside hours or during
 * closures. Each is resolved by moving or cancelling an appointment, or accepted with a reason.
 */
export function ConflictInbox() {
  const setup = useSchedule((s) => s.setup?.setup);
  const range = useSchedule((s) => s.range);
  const timeZone = setup?.timeZone ?? 'UTC';
  const today = todayIn(timeZone);
  const [conflicts, setConflicts] = useState<ConflictView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .call('conflicts.list', { from: addDays(today, -7), to: addDays(today, 84) })
      .then((c) => {
        setConflicts(c);
        setProblem(null);
      })
      .catch((e: unknown) => setProblem(messageOf(e)));
  }, [today]);
  // The book changing (a move, a cancellation, a sync) may resolve or add conflicts.
  useEffect(load, [load, range]);

  return (
    <div className="panel">
      <PanelHead title="Conflicts" />
      <p className="muted">Last week to 12 weeks ahead.</p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      {conflicts === null ? (
        <p className="muted">Loading…</p>
      ) : conflicts.length === 0 ? (
        <p className="muted" role="status">
          No open conflicts.
        </p>
      ) : (
        <ol className="plain-list conflicts">
          {conflicts.map((c) => (
            <ConflictItem key={c.id} conflict={c} timeZone={timeZone} onDone={load} />
          ))}
        </ol>
      )}
    </div>
  );
}

function ConflictItem({
  conflict: c,
  timeZone,
  onDone,
}: {
  conflict: ConflictView;
  timeZone: string;
  onDone(): void;
}) {
  const st = useSchedule();
  const [accepting, setAccepting] = useState(false);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const show = (id: string, start: number) => {
    st.setDate(utcToZoned(start, timeZone).date);
    st.select(id);
  };
  return (
    <li className="conflict">
      <div className="conflict__what">
        <strong>{c.description}</strong>
      </div>
      <ul className="conflict__appts">
        {c.appointments.map((a) => (
          <li key={a.id}>
            <button
              type="button"
              className="button button--link"
              onClick={() => show(a.id, a.start)}
            >
              {timeSpan(a.start, a.end, timeZone)} {a.patient ? callName(a.patient) : 'Patient'}
            </button>{' '}
            <span className="muted">{STATUS_LABELS[a.status]}</span>
          </li>
        ))}
      </ul>
      {accepting ? (
        <form
          className="subform"
          onSubmit={(e) => {
            e.preventDefault();
            api
              .call('conflicts.accept', { conflictId: c.id, reason })
              .then(() => {
                onDone();
                void st.load();
              })
              .catch((err: unknown) => setProblem(messageOf(err)));
          }}
        >
          <label htmlFor={`accept-${c.id}`}>Reason for accepting</label>
          <input id={`accept-${c.id}`} value={reason} onChange={(e) => setReason(e.target.value)} />
          <button
            type="submit"
            className="button button--small button--primary"
            disabled={!reason.trim()}
          >
            Accept
          </button>
        </form>
      ) : (
        <div className="conflict__actions">
          <span className="muted">Move or cancel one of them, or</span>
          <button type="button" className="button button--small" onClick={() => setAccepting(true)}>
            Accept…
          </button>
        </div>
      )}
      {problem ? <div className="field__error">{problem}</div> : null}
    </li>
  );
}
