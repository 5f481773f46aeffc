import { useState, type ReactNode } from 'react';
import { v7 as uuidv7 } from 'uuid';
import type { SchedulingSetupView } from '../../../shared/ipc/scheduling';
import type {
  AppointmentType,
  Chair,
  ProviderKind,
  Provider,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';
import { PROVIDER_KINDS, WEEKDAYS } from '../../../shared/scheduling';
import { api, messageOf } from '../../api/client';
import { PanelHead } from './AppointmentPanel';
import { FormInput, FormSelect } from './fields';
import { PROVIDER_KIND_LABELS, WEEKDAY_LABELS } from './labels';
import { useSchedule } from './store';

type Tab = 'chairs' | 'providers' | 'types' | 'hours' | 'closures' | 'policy';

/**
 * The book's set-up for the practice manager: chairs, providers (with colours), appointment
 * types, opening hours, each provider's hours and breaks, closures and the cancellation notice.
 */
export function SetupPanel() {
  const view = useSchedule((s) => s.setup);
  const [tab, setTab] = useState<Tab>('chairs');
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const save = async (what: string, call: () => Promise<SchedulingSetupView>) => {
    setProblem(null);
    setSaved(null);
    try {
      const setup = await call();
      useSchedule.setState({ setup });
      setSaved(`${what} saved.`);
      void useSchedule.getState().load();
    } catch (e) {
      setProblem(messageOf(e));
    }
  };

  if (!view) return null;
  const setup = view.setup;
  const tabs: Array<[Tab, string]> = [
    ['chairs', 'Chairs'],
    ['providers', 'Providers'],
    ['types', 'Types'],
    ['hours', 'Hours'],
    ['closures', 'Closures'],
    ['policy', 'Cancellations'],
  ];
  return (
    <div className="panel panel--wide">
      <PanelHead title="Book set-up" />
      <div className="segmented" role="group" aria-label="Set-up section">
        {tabs.map(([t, label]) => (
          <button
            key={t}
            type="button"
            className="segmented__item"
            aria-pressed={tab === t}
            onClick={() => setTab(t)}
          >
            {label}
          </button>
        ))}
      </div>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      {saved ? (
        <p className="muted" role="status">
          {saved}
        </p>
      ) : null}
      {tab === 'chairs' ? (
        <List
          items={setup.chairs}
          onAdd={() => ({ id: uuidv7(), name: `Chair ${setup.chairs.length + 1}` })}
          render={(c: Chair, isNew) => <ChairRow key={c.id} chair={c} isNew={isNew} save={save} />}
          addLabel="Add a chair"
        />
      ) : null}
      {tab === 'providers' ? (
        <List
          items={setup.providers}
          onAdd={() => ({
            id: uuidv7(),
            name: '',
            kind: 'dentist' as ProviderKind,
            colour: '#1E88E5',
          })}
          render={(p: Provider, isNew) => (
            <ProviderRow key={p.id} provider={p} isNew={isNew} save={save} />
          )}
          addLabel="Add a provider"
        />
      ) : null}
      {tab === 'types' ? (
        <List
          items={setup.appointmentTypes}
          onAdd={() => ({
            id: uuidv7(),
            name: '',
            durationUnits: 6,
            colour: '#43A047',
            allowedProviderKinds: ['dentist'] as ProviderKind[],
          })}
          render={(t: AppointmentType, isNew) => (
            <TypeRow key={t.id} type={t} isNew={isNew} save={save} />
          )}
          addLabel="Add a type"
        />
      ) : null}
      {tab === 'hours' ? <HoursEditor view={view} save={save} /> : null}
      {tab === 'closures' ? <Closures view={view} save={save} /> : null}
      {tab === 'policy' ? <Policy view={view} save={save} /> : null}
    </div>
  );
}

type Save = (what: string, call: () => Promise<SchedulingSetupView>) => Promise<void>;

function List<T extends { id: string }>({
  items,
  onAdd,
  render,
  addLabel,
}: {
  items: T[];
  onAdd(): T;
  render(item: T, isNew: boolean): ReactNode;
  addLabel: string;
}) {
  const [draft, setDraft] = useState<T | null>(null);
  const known = draft && items.some((i) => i.id === draft.id);
  return (
    <div className="setup-list">
      {items.map((i) => render(i, false))}
      {draft && !known ? render(draft, true) : null}
      <button type="button" className="button button--small" onClick={() => setDraft(onAdd())}>
        {addLabel}
      </button>
    </div>
  );
}

function ChairRow({ chair, isNew, save }: { chair: Chair; isNew: boolean; save: Save }) {
  const [name, setName] = useState(chair.name);
  const [active, setActive] = useState(chair.active !== false);
  return (
    <form
      className="setup-row"
      onSubmit={(e) => {
        e.preventDefault();
        void save('Chair', () =>
          api.call('scheduling.saveChair', { chair: { id: chair.id, name, active } }),
        );
      }}
    >
      <FormInput id={`chair-${chair.id}`} label="Chair name" value={name} onChange={setName} />
      <label className="checkbox--inline">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> In
        use
      </label>
      <button type="submit" className="button button--small button--primary">
        {isNew ? 'Add' : 'Save'}
      </button>
    </form>
  );
}

function ProviderRow({
  provider,
  isNew,
  save,
}: {
  provider: Provider;
  isNew: boolean;
  save: Save;
}) {
  const [name, setName] = useState(provider.name);
  const [kind, setKind] = useState<ProviderKind>(provider.kind);
  const [colour, setColour] = useState(provider.colour);
  const [active, setActive] = useState(provider.active !== false);
  return (
    <form
      className="setup-row"
      onSubmit={(e) => {
        e.preventDefault();
        void save('Provider', () =>
          api.call('scheduling.saveProvider', {
            provider: { id: provider.id, name, kind, colour: colour.toUpperCase(), active },
          }),
        );
      }}
    >
      <FormInput id={`provider-${provider.id}`} label="Name" value={name} onChange={setName} />
      <FormSelect
        id={`provider-kind-${provider.id}`}
        label="Kind"
        value={kind}
        onChange={(v) => setKind(v as ProviderKind)}
        options={PROVIDER_KINDS.map((k) => [k, PROVIDER_KIND_LABELS[k]] as [string, string])}
      />
      <FormInput
        id={`provider-colour-${provider.id}`}
        label="Colour"
        type="color"
        value={colour}
        onChange={setColour}
      />
      <label className="checkbox--inline">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />{' '}
        Takes bookings
      </label>
      <button type="submit" className="button button--small button--primary">
        {isNew ? 'Add' : 'Save'}
      </button>
    </form>
  );
}

function TypeRow({ type, isNew, save }: { type: AppointmentType; isNew: boolean; save: Save }) {
  const [name, setName] = useState(type.name);
  const [minutes, setMinutes] = useState(String(type.durationUnits * 5));
  const [colour, setColour] = useState(type.colour);
  const [kinds, setKinds] = useState<ProviderKind[]>(type.allowedProviderKinds);
  const [active, setActive] = useState(type.active !== false);
  return (
    <form
      className="setup-row"
      onSubmit={(e) => {
        e.preventDefault();
        void save('Appointment type', () =>
          api.call('scheduling.saveType', {
            type: {
              id: type.id,
              name,
              durationUnits: Math.round(Number(minutes) / 5),
              colour: colour.toUpperCase(),
              allowedProviderKinds: kinds,
              active,
            },
          }),
        );
      }}
    >
      <FormInput id={`type-${type.id}`} label="Type name" value={name} onChange={setName} />
      <FormInput
        id={`type-minutes-${type.id}`}
        label="Minutes"
        type="number"
        step={5}
        min={5}
        value={minutes}
        onChange={setMinutes}
      />
      <FormInput
        id={`type-colour-${type.id}`}
        label="Colour"
        type="color"
        value={colour}
        onChange={setColour}
      />
      <fieldset className="fieldset">
        <legend>Who may do it</legend>
        {PROVIDER_KINDS.map((k) => (
          <label key={k} className="checkbox--inline">
            <input
              type="checkbox"
              checked={kinds.includes(k)}
              onChange={(e) =>
                setKinds((list) => (e.target.checked ? [...list, k] : list.filter((x) => x !== k)))
              }
            />{' '}
            {PROVIDER_KIND_LABELS[k]}
          </label>
        ))}
      </fieldset>
      <label className="checkbox--inline">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />{' '}
        Offered
      </label>
      <button type="submit" className="button button--small button--primary">
        {isNew ? 'Add' : 'Save'}
      </button>
    </form>
  );
}

interface DayRow {
  open: boolean;
  start: string;
  end: string;
  breakStart: string;
  breakEnd: string;
}

const rowOf = (hours: TimeRange[] | undefined, breaks?: TimeRange[]): DayRow => ({
  open: !!hours && hours.length > 0,
  start: hours?.[0]?.start ?? '08:00',
  end: hours?.[hours.length - 1]?.end ?? '18:00',
  breakStart: breaks?.[0]?.start ?? '',
  breakEnd: breaks?.[0]?.end ?? '',
});

/** Opening hours, or one provider's hours and break, per weekday. */
function HoursEditor({ view, save }: { view: SchedulingSetupView; save: Save }) {
  const setup = view.setup;
  const [who, setWho] = useState('clinic');
  const schedule = setup.providerSchedules.find((s) => s.providerId === who);
  const [follows, setFollows] = useState(!schedule);
  const [rows, setRows] = useState<Record<Weekday, DayRow>>(() => initialRows('clinic'));

  function initialRows(target: string): Record<Weekday, DayRow> {
    const s = setup.providerSchedules.find((x) => x.providerId === target);
    return Object.fromEntries(
      WEEKDAYS.map((d) => [
        d,
        target === 'clinic'
          ? rowOf(setup.openingHours.weekly[d])
          : rowOf(s?.weekly[d]?.hours ?? setup.openingHours.weekly[d], s?.weekly[d]?.breaks),
      ]),
    ) as Record<Weekday, DayRow>;
  }

  const pick = (target: string) => {
    setWho(target);
    setFollows(!setup.providerSchedules.some((s) => s.providerId === target));
    setRows(initialRows(target));
  };
  const edit = (d: Weekday, patch: Partial<DayRow>) =>
    setRows((r) => ({ ...r, [d]: { ...r[d], ...patch } }));

  const submit = () => {
    if (who === 'clinic') {
      const weekly = Object.fromEntries(
        WEEKDAYS.map((d) => [d, rows[d].open ? [{ start: rows[d].start, end: rows[d].end }] : []]),
      );
      void save('Opening hours', () =>
        api.call('scheduling.setOpeningHours', {
          openingHours: { weekly, dates: setup.openingHours.dates ?? [] },
        }),
      );
      return;
    }
    const weekly = Object.fromEntries(
      WEEKDAYS.map((d) => [
        d,
        {
          hours: rows[d].open ? [{ start: rows[d].start, end: rows[d].end }] : [],
          breaks:
            rows[d].open && rows[d].breakStart && rows[d].breakEnd
              ? [{ start: rows[d].breakStart, end: rows[d].breakEnd }]
              : [],
        },
      ]),
    );
    void save('Working hours', () =>
      api.call('scheduling.setProviderSchedule', {
        providerId: who,
        schedule: follows ? null : { weekly, dates: schedule?.dates ?? [] },
      }),
    );
  };

  return (
    <form
      className="hours"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <FormSelect
        id="hours-who"
        label="Hours of"
        value={who}
        onChange={pick}
        options={[
          ['clinic', 'The clinic (opening hours)'],
          ...setup.providers.map((p) => [p.id, p.name] as [string, string]),
        ]}
      />
      {who !== 'clinic' ? (
        <label className="checkbox--inline">
          <input type="checkbox" checked={follows} onChange={(e) => setFollows(e.target.checked)} />{' '}
          Works whenever the clinic is open
        </label>
      ) : null}
      {who === 'clinic' || !follows ? (
        <table className="table hours__table">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Open</th>
              <th scope="col">From</th>
              <th scope="col">Until</th>
              {who !== 'clinic' ? <th scope="col">Break</th> : null}
            </tr>
          </thead>
          <tbody>
            {WEEKDAYS.map((d) => (
              <tr key={d}>
                <th scope="row">{WEEKDAY_LABELS[d]}</th>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${WEEKDAY_LABELS[d]} open`}
                    checked={rows[d].open}
                    onChange={(e) => edit(d, { open: e.target.checked })}
                  />
                </td>
                <td>
                  <input
                    type="time"
                    step={300}
                    aria-label={`${WEEKDAY_LABELS[d]} from`}
                    value={rows[d].start}
                    disabled={!rows[d].open}
                    onChange={(e) => edit(d, { start: e.target.value })}
                  />
                </td>
                <td>
                  <input
                    type="time"
                    step={300}
                    aria-label={`${WEEKDAY_LABELS[d]} until`}
                    value={rows[d].end}
                    disabled={!rows[d].open}
                    onChange={(e) => edit(d, { end: e.target.value })}
                  />
                </td>
                {who !== 'clinic' ? (
                  <td className="nowrap">
                    <input
                      type="time"
                      step={300}
                      aria-label={`${WEEKDAY_LABELS[d]} break from`}
                      value={rows[d].breakStart}
                      disabled={!rows[d].open}
                      onChange={(e) => edit(d, { breakStart: e.target.value })}
                    />
                    –
                    <input
                      type="time"
                      step={300}
                      aria-label={`${WEEKDAY_LABELS[d]} break until`}
                      value={rows[d].breakEnd}
                      disabled={!rows[d].open}
                      onChange={(e) => edit(d, { breakEnd: e.target.value })}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <button type="submit" className="button button--primary button--small">
        Save hours
      </button>
    </form>
  );
}

function Closures({ view, save }: { view: SchedulingSetupView; save: Save }) {
  const setup = view.setup;
  const [startDate, setStartDate] = useState('');
  const [endDate, setEndDate] = useState('');
  const [scope, setScope] = useState('clinic');
  const [reason, setReason] = useState('');
  const name = (id: string | null | undefined) =>
    setup.chairs.find((c) => c.id === id)?.name ??
    setup.providers.find((p) => p.id === id)?.name ??
    'The clinic';
  return (
    <div>
      <ul className="plain-list">
        {setup.closures.length === 0 ? <li className="muted">No closures.</li> : null}
        {setup.closures.map((c) => (
          <li key={c.id} className="setup-row">
            <span>
              <strong>{name(c.chairId ?? c.providerId)}</strong> {c.startDate}
              {c.endDate !== c.startDate ? ` to ${c.endDate}` : ''}{' '}
              {c.reason ? `· ${c.reason}` : ''}
            </span>
            <button
              type="button"
              className="button button--small button--quiet"
              onClick={() =>
                void save('Closure', () => api.call('scheduling.removeClosure', { id: c.id }))
              }
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="subform"
        onSubmit={(e) => {
          e.preventDefault();
          const [kind, id] = scope.split(':');
          void save('Closure', () =>
            api.call('scheduling.saveClosure', {
              closure: {
                id: uuidv7(),
                startDate,
                endDate: endDate || startDate,
                ...(kind === 'chair' ? { chairId: id } : {}),
                ...(kind === 'provider' ? { providerId: id } : {}),
                reason: reason || null,
              },
            }),
          );
        }}
      >
        <div className="grid grid--2">
          <FormInput
            id="closure-from"
            label="From"
            type="date"
            value={startDate}
            onChange={setStartDate}
          />
          <FormInput
            id="closure-to"
            label="To (inclusive)"
            type="date"
            value={endDate}
            onChange={setEndDate}
          />
        </div>
        <FormSelect
          id="closure-scope"
          label="Closed"
          value={scope}
          onChange={setScope}
          options={[
            ['clinic', 'The whole clinic'],
            ...setup.chairs.map((c) => [`chair:${c.id}`, c.name] as [string, string]),
            ...setup.providers.map(
              (p) => [`provider:${p.id}`, `${p.name} away`] as [string, string],
            ),
          ]}
        />
        <FormInput id="closure-reason" label="Reason" value={reason} onChange={setReason} />
        <button
          type="submit"
          className="button button--primary button--small"
          disabled={!startDate}
        >
          Add closure
        </button>
      </form>
    </div>
  );
}

function Policy({ view, save }: { view: SchedulingSetupView; save: Save }) {
  const current = view.lateCancellation;
  const [hours, setHours] = useState(String(current.kind === 'hours_before' ? current.hours : 24));
  return (
    <form
      className="subform"
      onSubmit={(e) => {
        e.preventDefault();
        void save('Cancellation notice', () =>
          api.call('scheduling.setPolicy', {
            lateCancellation: {
              kind: 'hours_before',
              hours: Math.max(0, Math.round(Number(hours))),
            },
          }),
        );
      }}
    >
      <FormInput
        id="policy-hours"
        label="Notice needed to cancel without it counting as late (hours)"
        type="number"
        min={0}
        value={hours}
        onChange={setHours}
      />
      <button type="submit" className="button button--primary button--small">
        Save
      </button>
    </form>
  );
}
