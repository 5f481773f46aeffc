import { useEffect, useState } from 'react';
import { todayIn } from '../../../shared/dates';
import type { BookRange } from '../../../shared/ipc/scheduling';
import { api, messageOf } from '../../api/client';
import { AlertBadges } from '../patients/AlertBadges';
import { PanelHead } from './AppointmentPanel';
import { STATUS_LABELS, callName, wallTime } from './labels';
import { useSchedule } from './store';

/**
 * Today's arrivals for the front desk, in time order: who is expected, who is here, who is in
 * the chair, with check-in one click away. Always today, whatever day the book shows.
 */
export function ArrivalsList() {
  const setup = useSchedule((s) => s.setup?.setup);
  const shown = useSchedule((s) => s.range);
  const setStatus = useSchedule((s) => s.setStatus);
  const select = useSchedule((s) => s.select);
  const timeZone = setup?.timeZone ?? 'UTC';
  const today = todayIn(timeZone);
  const [own, setOwn] = useState<BookRange | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const range = shown && shown.from === today && shown.days === 1 ? shown : own;

  useEffect(() => {
    if (shown && shown.from === today && shown.days === 1) return;
    let live = true;
    api
      .call('appointments.range', { from: today, days: 1 })
      .then((r) => live && setOwn(r))
      .catch((e: unknown) => live && setProblem(messageOf(e)));
    return () => {
      live = false;
    };
  }, [shown, today, generation]);

  const list = (range?.appointments ?? []).filter(
    (a) => a.status !== 'cancelled' && a.status !== 'no_show',
  );
  const here = list.filter((a) => a.status === 'arrived').length;

  return (
    <div className="panel">
      <PanelHead title="Today's arrivals" />
      <p className="muted">
        {list.length} expected today · {here} waiting
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <ol className="arrivals" aria-label="Today's appointments">
        {list.map((a) => {
          const provider = setup?.providers.find((p) => p.id === a.providerId);
          return (
            <li key={a.id} className={`arrival arrival--${a.status}`}>
              <span className="arrival__time">{wallTime(a.start, timeZone)}</span>
              <button
                type="button"
                className="button button--link arrival__name"
                onClick={() => select(a.id)}
              >
                {a.patient ? callName(a.patient) : 'Record removed'}
              </button>
              <AlertBadges kinds={a.patient?.alertKinds ?? []} />
              <span className="muted arrival__who">{provider?.name ?? ''}</span>
              <span className={`appt__status appt__status--${a.status}`}>
                {STATUS_LABELS[a.status]}
              </span>
              {a.status === 'booked' || a.status === 'confirmed' ? (
                <button
                  type="button"
                  className="button button--small button--primary"
                  aria-label={`Check in ${a.patient ? callName(a.patient) : 'patient'}`}
                  onClick={() =>
                    void setStatus(a.id, 'arrived')
                      .then(() => setGeneration((g) => g + 1))
                      .catch((e: unknown) => setProblem(messageOf(e)))
                  }
                >
                  Check in
                </button>
              ) : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
