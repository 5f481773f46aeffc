import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { BookAppointment } from '../../../shared/ipc/scheduling';
import type {
  AppointmentType,
  Conflict,
  Instant,
  Interval,
  Provider,
  SchedulingSetup,
} from '../../../shared/scheduling';
import { gridSlots } from '../../../shared/scheduling';
import { AppointmentCard, conflictState } from './AppointmentCard';
import { MINUTE, PX_PER_MINUTE, instantAtY, laneLayout, snap, yOf, type Window } from './geometry';
import { timeSpan } from './labels';
import type { GridStep } from './store';

export interface BookColumn {
  id: string;
  label: string;
  /** Provider colour for provider columns. */
  colour?: string;
  /** Spans shaded as closed, not working or during a closure. */
  closed: Interval[];
  /** Chair and provider a booking made in this column gets (one of them from the column). */
  chairId: string;
  providerId: string;
}

export interface CreateRequest {
  start: Instant;
  end?: Instant;
  column: BookColumn;
}

interface DayBookProps {
  /** What the book is, for its accessible name: "Chairs on Tue 11 Mar 2025". */
  label: string;
  date: string;
  /** The span shown; also the gutter's and the grid lines' day. */
  window: Window;
  /** Each column's own span, when columns are different days (the week view). */
  windowOf?: (columnId: string) => Window;
  step: GridStep;
  columns: BookColumn[];
  /** Which column an appointment belongs to. */
  columnOf(a: BookAppointment): string;
  /** What moving to another column changes. */
  columnField: 'chairId' | 'providerId' | 'date';
  appointments: BookAppointment[];
  conflictsById: Map<string, Conflict[]>;
  setup: SchedulingSetup;
  selectedId: string | null;
  now: Instant | null;
  showCancelled: boolean;
  onSelect(id: string): void;
  onCreate(request: CreateRequest): void;
  onChange(
    id: string,
    changes: { start?: number; end?: number; chairId?: string; providerId?: string },
  ): void;
}

interface Drag {
  kind: 'move' | 'resize' | 'create';
  pointerId: number;
  x: number;
  y: number;
  moved: boolean;
  id: string | null;
  /** Pointer instant minus the card's start, for moves. */
  offset: number;
  anchor: Instant;
  columnId: string;
}

interface Ghost {
  start: Instant;
  end: Instant;
  columnId: string;
}

/**
 * A day of the book: a time gutter and one column per chair or provider (or per day, in the week
 * view), with cards placed by real time. Pointer drags book (on empty time), move (a card) and
 * resize (a card's bottom edge); the same moves work from the keyboard on a focused card.
 */
export function DayBook({
  label,
  date,
  window,
  windowOf,
  step,
  columns,
  columnOf,
  columnField,
  appointments,
  conflictsById,
  setup,
  selectedId,
  now,
  showCancelled,
  onSelect,
  onCreate,
  onChange,
}: DayBookProps) {
  const timeZone = setup.timeZone;
  const ppm = PX_PER_MINUTE[step];
  const height = Math.max(60, yOf(window.end, window, ppm));
  const bodyRef = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);
  const [ghost, setGhost] = useState<Ghost | null>(null);

  const types = useMemo(() => new Map(setup.appointmentTypes.map((t) => [t.id, t])), [setup]);
  const providers = useMemo(() => new Map(setup.providers.map((p) => [p.id, p])), [setup]);
  const chairs = useMemo(() => new Map(setup.chairs.map((c) => [c.id, c])), [setup]);
  const byId = useMemo(() => new Map(appointments.map((a) => [a.id, a])), [appointments]);

  const visible = useMemo(
    () =>
      appointments.filter(
        (a) =>
          (showCancelled || (a.status !== 'cancelled' && a.status !== 'no_show')) &&
          a.end > (windowOf?.(columnOf(a)) ?? window).start &&
          a.start < (windowOf?.(columnOf(a)) ?? window).end,
      ),
    [appointments, showCancelled, window, windowOf, columnOf],
  );
  const byColumn = useMemo(() => {
    const map = new Map<string, BookAppointment[]>();
    for (const a of visible) {
      const key = columnOf(a);
      const list = map.get(key);
      if (list) list.push(a);
      else map.set(key, [a]);
    }
    return map;
  }, [visible, columnOf]);

  const lines = useMemo(
    () =>
      gridSlots(date, timeZone, step).filter(
        (s) => s.start >= window.start && s.start < window.end,
      ),
    [date, timeZone, step, window],
  );

  const spanOf = (columnId: string) => windowOf?.(columnId) ?? window;
  const instantAtClientY = (clientY: number, columnId: string) => {
    const rect = bodyRef.current!.getBoundingClientRect();
    return instantAtY(clientY - rect.top, spanOf(columnId), ppm);
  };
  const columnAtClientX = (clientX: number): string | null => {
    const cols = bodyRef.current?.querySelectorAll<HTMLElement>('[data-column-id]') ?? [];
    for (const el of cols) {
      const r = el.getBoundingClientRect();
      if (clientX >= r.left && clientX < r.right) return el.dataset.columnId ?? null;
    }
    return null;
  };
  const clamp = (t: Instant, columnId: string) =>
    Math.min(Math.max(t, spanOf(columnId).start), spanOf(columnId).end);

  const ghostFor = (d: Drag, clientX: number, clientY: number): Ghost | null => {
    if (d.kind === 'create') {
      const at = instantAtClientY(clientY, d.columnId);
      const t = clamp(snap(at, step, timeZone), d.columnId);
      const start = Math.min(d.anchor, t);
      const end = Math.max(d.anchor + step * MINUTE, t);
      return { start, end, columnId: d.columnId };
    }
    const a = d.id ? byId.get(d.id) : undefined;
    if (!a) return null;
    if (d.kind === 'resize') {
      const at = instantAtClientY(clientY, columnOf(a));
      const end = Math.max(a.start + step * MINUTE, snap(at, step, timeZone));
      return { start: a.start, end, columnId: columnOf(a) };
    }
    const columnId = columnAtClientX(clientX) ?? columnOf(a);
    const at = instantAtClientY(clientY, columnId);
    const start = clamp(snap(at - d.offset, step, timeZone), columnId);
    return { start, end: start + (a.end - a.start), columnId };
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 || !bodyRef.current) return;
    const target = e.target as HTMLElement;
    const card = target.closest<HTMLElement>('[data-appointment-id]');
    const column = target.closest<HTMLElement>('[data-column-id]');
    if (!column) return;
    const at = instantAtClientY(e.clientY, column.dataset.columnId!);
    let d: Drag;
    if (card) {
      const id = card.dataset.appointmentId!;
      const a = byId.get(id);
      if (!a) return;
      const released = a.status === 'cancelled' || a.status === 'no_show';
      d = {
        kind: target.closest('[data-resize]') ? 'resize' : 'move',
        pointerId: e.pointerId,
        x: e.clientX,
        y: e.clientY,
        moved: false,
        id: released ? null : id,
        offset: at - a.start,
        anchor: a.start,
        columnId: columnOf(a),
      };
      if (released) {
        onSelect(id);
        return;
      }
    } else {
      d = {
        kind: 'create',
        pointerId: e.pointerId,
        x: e.clientX,
        y: e.clientY,
        moved: false,
        id: null,
        offset: 0,
        anchor: clamp(snap(at, step, timeZone, 'floor'), column.dataset.columnId!),
        columnId: column.dataset.columnId!,
      };
    }
    drag.current = d;
    e.currentTarget.setPointerCapture(e.pointerId);
  };

  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.pointerId !== e.pointerId) return;
    if (!d.moved && Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) < 5) return;
    d.moved = true;
    setGhost(ghostFor(d, e.clientX, e.clientY));
  };

  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.pointerId !== e.pointerId) return;
    drag.current = null;
    const g = d.moved ? ghostFor(d, e.clientX, e.clientY) : null;
    setGhost(null);
    const column = (id: string) => columns.find((c) => c.id === id);
    if (d.kind === 'create') {
      const col = column(d.columnId);
      if (!col) return;
      if (g) onCreate({ start: g.start, end: g.end, column: col });
      else onCreate({ start: d.anchor, column: col });
      return;
    }
    const a = d.id ? byId.get(d.id) : undefined;
    if (!a) return;
    if (!g) {
      onSelect(a.id);
      return;
    }
    if (d.kind === 'resize') {
      if (g.end !== a.end) onChange(a.id, { end: g.end });
      return;
    }
    const changes: { start?: number; chairId?: string; providerId?: string } = {};
    if (g.start !== a.start) changes.start = g.start;
    if (g.columnId !== columnOf(a) && columnField !== 'date') {
      const col = column(g.columnId);
      if (col) changes[columnField] = columnField === 'chairId' ? col.chairId : col.providerId;
    }
    if (Object.keys(changes).length > 0) onChange(a.id, changes);
  };

  const onCardKey = (a: BookAppointment) => (e: KeyboardEvent<HTMLDivElement>) => {
    const stepMs = step * MINUTE;
    const released = a.status === 'cancelled' || a.status === 'no_show';
    switch (e.key) {
      case 'Enter':
      case ' ':
        e.preventDefault();
        onSelect(a.id);
        return;
      case 'ArrowUp':
      case 'ArrowDown': {
        if (released) return;
        e.preventDefault();
        const sign = e.key === 'ArrowUp' ? -1 : 1;
        if (e.shiftKey) {
          const end = Math.max(a.start + stepMs, a.end + sign * stepMs);
          if (end !== a.end) onChange(a.id, { end });
        } else onChange(a.id, { start: a.start + sign * stepMs });
        return;
      }
      case 'ArrowLeft':
      case 'ArrowRight': {
        if (released || columnField === 'date') return;
        e.preventDefault();
        const index = columns.findIndex((c) => c.id === columnOf(a));
        const next = columns[index + (e.key === 'ArrowLeft' ? -1 : 1)];
        if (next)
          onChange(a.id, {
            [columnField]: columnField === 'chairId' ? next.chairId : next.providerId,
          });
        return;
      }
    }
  };

  const nowColumn =
    now === null
      ? undefined
      : columns.find((c) => now >= spanOf(c.id).start && now < spanOf(c.id).end);
  const nowY = now !== null && nowColumn ? yOf(now, spanOf(nowColumn.id), ppm) : null;

  return (
    <div className="book" role="group" aria-label={label}>
      <div className="book__head" aria-hidden="true">
        <div className="book__corner" />
        {columns.map((c) => (
          <div key={c.id} className="book__colhead" title={c.label}>
            {c.colour ? <span className="book__dot" style={{ backgroundColor: c.colour }} /> : null}
            <span className="book__colname">{c.label}</span>
          </div>
        ))}
      </div>
      <div className="book__scroll">
        <div className="book__body" style={{ height }}>
          <div className="book__gutter" aria-hidden="true">
            {lines
              .filter((l) => l.time.endsWith(':00') || (step <= 10 && l.time.endsWith(':30')))
              .map((l) => (
                <span
                  key={l.start}
                  className={`book__hour${l.time.endsWith(':00') ? '' : ' book__hour--half'}`}
                  style={{ top: yOf(l.start, window, ppm) }}
                >
                  {l.time}
                </span>
              ))}
          </div>
          <div
            ref={bodyRef}
            className="book__columns"
            // Where time sits on screen, for tools that drive the book (the end-to-end tests).
            data-window-start={window.start}
            data-px-per-minute={ppm}
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={() => {
              drag.current = null;
              setGhost(null);
            }}
          >
            {lines.map((l) => (
              <div
                key={l.start}
                className={`book__line${l.time.endsWith(':00') ? ' book__line--hour' : ''}`}
                style={{ top: yOf(l.start, window, ppm) }}
                aria-hidden="true"
              />
            ))}
            {columns.map((c) => {
              const list = byColumn.get(c.id) ?? [];
              const lanes = laneLayout(list);
              const span = spanOf(c.id);
              return (
                <div
                  key={c.id}
                  className="book__col"
                  data-column-id={c.id}
                  role="group"
                  aria-label={c.label}
                >
                  {c.closed.map((s) => (
                    <div
                      key={s.start}
                      className="book__closed"
                      style={{
                        top: yOf(s.start, span, ppm),
                        height: yOf(s.end, span, ppm) - yOf(s.start, span, ppm),
                      }}
                      aria-hidden="true"
                    />
                  ))}
                  {list.map((a) => {
                    const lane = lanes.get(a.id) ?? { lane: 0, lanes: 1 };
                    const top = yOf(Math.max(a.start, span.start), span, ppm);
                    const bottom = yOf(Math.min(a.end, span.end), span, ppm);
                    return (
                      <AppointmentCard
                        key={a.id}
                        appointment={a}
                        type={types.get(a.typeId) as AppointmentType | undefined}
                        provider={providers.get(a.providerId) as Provider | undefined}
                        chairName={chairs.get(a.chairId)?.name}
                        conflict={conflictState(conflictsById.get(a.id))}
                        timeZone={timeZone}
                        selected={a.id === selectedId}
                        top={top + 1}
                        height={Math.max(14, bottom - top - 2)}
                        left={`calc(${(lane.lane / lane.lanes) * 100}% + 2px)`}
                        width={`calc(${100 / lane.lanes}% - 4px)`}
                        onKeyDown={onCardKey(a)}
                      />
                    );
                  })}
                  {ghost && ghost.columnId === c.id ? (
                    <div
                      className="book__ghost"
                      style={{
                        top: yOf(ghost.start, span, ppm),
                        height: Math.max(
                          8,
                          yOf(ghost.end, span, ppm) - yOf(ghost.start, span, ppm),
                        ),
                      }}
                      aria-hidden="true"
                    >
                      {timeSpan(ghost.start, ghost.end, timeZone)}
                    </div>
                  ) : null}
                </div>
              );
            })}
            {nowY !== null ? (
              <div
                className={`book__now${windowOf ? ' book__now--column' : ''}`}
                style={
                  windowOf && nowColumn
                    ? {
                        top: nowY,
                        left: `${(columns.indexOf(nowColumn) / columns.length) * 100}%`,
                        width: `${100 / columns.length}%`,
                      }
                    : { top: nowY }
                }
                aria-hidden="true"
              >
                <span className="book__now-label">Now</span>
              </div>
            ) : null}
          </div>
        </div>
      </div>
    </div>
  );
}
