import type { KeyboardEvent } from 'react';
import type { BookAppointment } from '../../../shared/ipc/scheduling';
import type { AppointmentType, Conflict, Provider } from '../../../shared/scheduling';
import { ALERT_KIND_LABELS } from '../patients/labels';
import { STATUS_LABELS, callName, fullName, initials, timeSpan, wallTime } from './labels';

export type ConflictState = 'open' | 'accepted' | null;

export function conflictState(conflicts: readonly Conflict[] | undefined): ConflictState {
  if (!conflicts || conflicts.length === 0) return null;
  return conflicts.some((c) => !c.acknowledged) ? 'open' : 'accepted';
}

interface CardProps {
  appointment: BookAppointment;
  type: AppointmentType | undefined;
  provider: Provider | undefined;
  chairName: string | undefined;
  conflict: ConflictState;
  timeZone: string;
  selected: boolean;
  /** Pixel box inside its column. */
  top: number;
  height: number;
  left: string;
  width: string;
  onKeyDown(e: KeyboardEvent<HTMLDivElement>): void;
}

/** The words a screen reader announces for a card: everything shown, in one sentence. */
export function cardLabel(
  a: BookAppointment,
  type: AppointmentType | undefined,
  provider: Provider | undefined,
  chairName: string | undefined,
  conflict: ConflictState,
  timeZone: string,
): string {
  const parts = [
    timeSpan(a.start, a.end, timeZone),
    a.patient ? fullName(a.patient) : 'Patient record removed',
    type?.name ?? 'Unknown type',
    provider?.name ?? 'Unknown provider',
    chairName ?? 'Unknown chair',
    STATUS_LABELS[a.status],
  ];
  if (a.patient?.alertKinds.length)
    parts.push(a.patient.alertKinds.map((k) => ALERT_KIND_LABELS[k]).join(', '));
  if (conflict === 'open') parts.push('Clash: needs attention');
  if (conflict === 'accepted') parts.push('Double booking accepted');
  return parts.join(', ');
}

/** One appointment on the book: who, what, with whom, and where it stands. */
export function AppointmentCard({
  appointment: a,
  type,
  provider,
  chairName,
  conflict,
  timeZone,
  selected,
  top,
  height,
  left,
  width,
  onKeyDown,
}: CardProps) {
  const compact = height < 34;
  const released = a.status === 'cancelled' || a.status === 'no_show';
  const classes = [
    'appt',
    `appt--${a.status}`,
    conflict === 'open' ? 'appt--clash' : '',
    conflict === 'accepted' ? 'appt--accepted' : '',
    selected ? 'appt--selected' : '',
    compact ? 'appt--compact' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div
      role="button"
      tabIndex={0}
      className={classes}
      data-appointment-id={a.id}
      aria-label={cardLabel(a, type, provider, chairName, conflict, timeZone)}
      aria-pressed={selected}
      aria-keyshortcuts="ArrowUp ArrowDown ArrowLeft ArrowRight Shift+ArrowUp Shift+ArrowDown Enter"
      onKeyDown={onKeyDown}
      style={{
        top,
        height,
        left,
        width,
        borderLeftColor: type?.colour ?? '#56636f',
      }}
    >
      <div className="appt__line">
        <span className="appt__time">{wallTime(a.start, timeZone)}</span>
        <span className="appt__name">{a.patient ? callName(a.patient) : 'Record removed'}</span>
        {compact ? <Flags appointment={a} conflict={conflict} /> : null}
      </div>
      {!compact ? (
        <div className="appt__line appt__line--sub">
          <Flags appointment={a} conflict={conflict} />
          <span className="appt__type">{type?.name ?? 'Unknown type'}</span>
          <span
            className="appt__provider"
            style={{ backgroundColor: provider?.colour ?? '#56636f' }}
            title={provider?.name}
          >
            {initials(provider?.name ?? '?')}
          </span>
          <span className={`appt__status appt__status--${a.status}`}>
            {STATUS_LABELS[a.status]}
          </span>
          {a.hasNotes ? (
            <span className="appt__note" title="Has notes: open the appointment to read them">
              Note
            </span>
          ) : null}
        </div>
      ) : (
        <span className={`appt__status appt__status--${a.status} appt__status--corner`}>
          {STATUS_LABELS[a.status]}
        </span>
      )}
      {!released ? <div className="appt__resize" data-resize="true" aria-hidden="true" /> : null}
    </div>
  );
}

/** Clash and alert markers: words where there is room, coloured marks in narrow cards. */
function Flags({
  appointment: a,
  conflict,
}: {
  appointment: BookAppointment;
  conflict: ConflictState;
}) {
  return (
    <>
      {conflict === 'open' ? <span className="appt__clash">Clash</span> : null}
      {conflict === 'accepted' ? (
        <span className="appt__clash appt__clash--accepted" title="Double booking accepted">
          Double
        </span>
      ) : null}
      {a.patient?.alertKinds.includes('allergy') ? (
        <span className="appt__badge appt__badge--allergy" title="Allergy">
          Allergy
        </span>
      ) : null}
      {a.patient?.alertKinds.some((k) => k !== 'allergy') ? (
        <span className="appt__badge appt__badge--medical" title="Medical alert">
          Alert
        </span>
      ) : null}
    </>
  );
}
