import {
  AUDIT_ACTIONS,
  type AuditEvent,
  type AuditVerification,
} from '../../../shared/domain/audit';
import { findCommand } from '../../../shared/ipc/contract';

/** Events the core writes beyond the shared list (session and key changes, row changes). */
const OTHER_ACTIONS: Record<string, string> = {
  'session.password_changed': 'Changed own password',
  'session.recovered': 'Reset a password with the recovery key',
  'store.key_rotated': 'Rotated the database key',
  'store.recovery_key_replaced': 'Replaced the recovery key',
  'sync.received': 'Received changes by sync',
  'appointments.range': 'Viewed the appointment book',
  'appointments.get': 'Opened an appointment',
  'appointments.forPatient': 'Viewed a patient’s appointments',
  'appointments.check': 'Checked a booking for clashes',
  'appointments.book': 'Booked an appointment',
  'appointments.update': 'Moved or edited an appointment',
  'appointments.setStatus': 'Changed an appointment’s status',
  'appointments.cancel': 'Cancelled an appointment',
  'conflicts.list': 'Viewed the conflict inbox',
  'conflicts.accept': 'Accepted a conflict',
  'waitlist.list': 'Viewed the waitlist',
  'waitlist.add': 'Put a patient on the waitlist',
  'waitlist.remove': 'Took a patient off the waitlist',
  'waitlist.offers': 'Looked for waitlist offers',
  'waitlist.book': 'Booked from the waitlist',
  'recalls.list': 'Viewed recalls',
  'recalls.set': 'Set a recall',
  'recalls.stop': 'Stopped a recall',
};

const OPERATIONS: Record<string, string> = {
  insert: 'Created',
  upsert: 'Saved',
  update: 'Changed',
  delete: 'Deleted',
  shred: 'Destroyed',
};

/**
 * An action in words. Row changes read "Saved staff"; other commands (the appointment book's, for
 * instance) borrow the first clause of their summary; anything else shows as written.
 */
export function actionLabel(action: string): string {
  const known = (AUDIT_ACTIONS as Record<string, string>)[action] ?? OTHER_ACTIONS[action];
  if (known) return known;
  const m = /^([a-z_]+)\.(insert|upsert|update|delete|shred)$/.exec(action);
  if (m?.[1] && m[2]) return `${OPERATIONS[m[2]]} ${m[1].replace(/_/g, ' ')}`;
  const summary = findCommand(action)
    ?.summary.split(/[:;]| \(/)[0]
    ?.trim();
  return summary || action;
}

/** The actions staff can filter by: the shared list first, then others already seen. */
export function actionChoices(seen: Iterable<string>): Array<{ value: string; label: string }> {
  const listed = Object.entries(AUDIT_ACTIONS).map(([value, label]) => ({ value, label }));
  const known = new Set(listed.map((c) => c.value));
  const extra = [...new Set(seen)]
    .filter((a) => !known.has(a))
    .sort()
    .map((value) => ({ value, label: actionLabel(value) }));
  return [...listed, ...extra];
}

/** The start of an id: enough to tell records apart on screen (the CSV has them whole). */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/** What was touched, in a line: field names (never values), then the stated reason. */
export function details(event: Pick<AuditEvent, 'fields' | 'reason'>): string {
  const parts: string[] = [];
  if (event.fields.length > 0) parts.push(event.fields.join(', '));
  if (event.reason) parts.push(`Reason: ${event.reason}`);
  return parts.join(' · ');
}

/** A moment to the second, in the clinic's time zone: the audit trail is read for exact times. */
export function formatMoment(
  iso: string,
  locale?: string | null,
  timeZone?: string | null,
): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(locale || undefined, {
      dateStyle: 'medium',
      timeStyle: 'medium',
      ...(timeZone ? { timeZone } : {}),
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** The chain check in words: intact, or the first link that does not hold. */
export function verificationText(v: AuditVerification): { ok: boolean; text: string } {
  const checked = `${v.checked} ${v.checked === 1 ? 'event' : 'events'} checked`;
  const broken = v.firstBroken;
  if (broken && broken.seq > 0)
    return {
      ok: false,
      text: `The chain is broken at event #${broken.seq}: ${broken.reason}. Events may have been edited or deleted.`,
    };
  if (!v.ok || v.anchorMatches === false)
    return {
      ok: false,
      text: `The chain does not match the checkpoint kept outside the database (${checked}): it may have been rewritten.`,
    };
  return {
    ok: true,
    text: `Chain intact: ${checked}, no broken link${v.anchorMatches ? ', and it matches the last checkpoint' : ''}.`,
  };
}
