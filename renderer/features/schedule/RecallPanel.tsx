import { useEffect, useState } from 'react';
import { todayIn } from '../../../shared/dates';
import type { RecallView } from '../../../shared/ipc/scheduling';
import { addDays } from '../../../shared/scheduling';
import { formatPhone } from '../../../shared/phone';
import { api, messageOf } from '../../api/client';
import { formatDate } from '../../format';
import { useSession } from '../../stores/session';
import { PanelHead } from './AppointmentPanel';
import { FormSelect } from './fields';
import { callName } from './labels';
import { useSchedule } from './store';

/** Patients due or overdue for a recall, soonest due first, each a click away from booking. */
export function RecallPanel() {
  const setup = useSchedule((s) => s.setup?.setup);
  const openPanel = useSchedule((s) => s.openPanel);
  const clinic = useSession((s) => s.clinic);
  const timeZone = setup?.timeZone ?? 'UTC';
  const today = todayIn(timeZone);
  const [horizon, setHorizon] = useState('30');
  const [recalls, setRecalls] = useState<RecallView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .call('recalls.list', { until: addDays(today, Number(horizon)), limit: 200 })
      .then((r) => live && setRecalls(r))
      .catch((e: unknown) => live && setProblem(messageOf(e)));
    return () => {
      live = false;
    };
  }, [today, horizon]);

  return (
    <div className="panel">
      <PanelHead title="Recalls due" />
      <FormSelect
        id="recall-horizon"
        label="Due by"
        value={horizon}
        onChange={setHorizon}
        options={[
          ['0', 'Today (overdue)'],
          ['30', 'The next 30 days'],
          ['90', 'The next 3 months'],
        ]}
      />
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      {recalls === null ? (
        <p className="muted">Loading…</p>
      ) : recalls.length === 0 ? (
        <p className="muted">Nobody is due.</p>
      ) : (
        <ol className="plain-list recalls">
          {recalls.map((r) => {
            const type = setup?.appointmentTypes.find((t) => t.id === r.typeId);
            const overdue = r.dueDate < today;
            return (
              <li key={r.id} className="recall">
                <div>
                  <strong>{r.patient ? callName(r.patient) : 'Patient'}</strong>{' '}
                  <span className={overdue ? 'tag tag--late' : 'tag'}>
                    {overdue ? 'Overdue' : 'Due'} {formatDate(r.dueDate, clinic?.locale)}
                  </span>
                </div>
                <div className="muted">
                  {type?.name ?? 'Unknown type'} every {r.intervalMonths} months
                  {r.patient?.preferredPhone
                    ? ` · ${formatPhone(r.patient.preferredPhone, clinic?.country || 'GB')}`
                    : ''}
                </div>
                <button
                  type="button"
                  className="button button--small"
                  onClick={() =>
                    openPanel({
                      kind: 'freeSlots',
                      prefill: {
                        ...(r.patient
                          ? { patient: { id: r.patientId, name: callName(r.patient) } }
                          : {}),
                        typeId: r.typeId,
                        recallId: r.id,
                      },
                    })
                  }
                >
                  Book
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
