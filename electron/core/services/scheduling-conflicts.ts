/**
 * The conflict inbox: conflicts of the book over a period, for staff to resolve by moving or
 * cancelling an appointment, or by accepting the conflict with a reason.
 *
 * Design:
 * - Conflicts are recomputed from the merged data by the shared rules every time, never stored:
 *   two workstations that booked the same chair offline list the same conflict once they have
 *   synced, and it leaves the inbox on both when either resolves it.
 * - Accepting writes an insert-only acknowledgement naming the conflict id. The service first
 *   checks the conflict still exists (it may have been resolved elsewhere meanwhile).
 */
import { AppError } from '../../../shared/errors';
import type { ConflictView } from '../../../shared/ipc/scheduling';
import { computeConflicts, daysBetween, dayBounds } from '../../../shared/scheduling';
import type { Conflict, SchedulingSetup } from '../../../shared/scheduling';
import { insertRecord } from '../db/changes';
import type { Executor } from '../db/kysely';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import { describeConflict } from './scheduling-describe';
import {
  cardsByIds,
  holdingAppointments,
  markAcknowledged,
  LOOKBACK_MS,
} from './scheduling-queries';
import { readerIn, reading } from './scheduling-reads';
import { loadSetup, setupFrom } from './scheduling-setup';

/** The longest period the inbox looks at in one call. */
export const MAX_INBOX_DAYS = 366;

async function withAppointments(
  db: Executor,
  setup: SchedulingSetup,
  conflicts: Conflict[],
): Promise<ConflictView[]> {
  const ids = [...new Set(conflicts.flatMap((c) => c.appointmentIds))];
  const cards = new Map((await cardsByIds(db, ids)).map((a) => [a.id, a]));
  return conflicts.map((c) => ({
    ...c,
    appointments: c.appointmentIds.flatMap((id) => cards.get(id) ?? []),
    description: describeConflict(c, setup, { withDate: true }),
  }));
}

/**
 * The conflict set of the local dates `from` to `to` (accepted ones marked): what the inbox
 * lists, and what sync recomputes for the days a pulled change touches.
 */
export async function conflictsForDates(
  ctx: ServiceContext,
  from: string,
  to: string,
): Promise<Conflict[]> {
  const span = daysBetween(from, to);
  if (span < 0 || span >= MAX_INBOX_DAYS) {
    throw new AppError('VALIDATION', 'Choose a period of up to a year.', [
      { path: 'to', message: 'The end must be on or after the start, within a year' },
    ]);
  }
  return reading(ctx, async (reader) => {
    const { setup } = await setupFrom(ctx, reader);
    const start = dayBounds(from, setup.timeZone).start;
    const end = dayBounds(to, setup.timeZone).end;
    const appointments = await holdingAppointments(reader, start, end);
    // Only what happens within the period: a clash across its edge shows in the next period.
    const conflicts = computeConflicts({ setup, appointments }).filter(
      (c) => c.end > start && c.start < end,
    );
    return markAcknowledged(reader, conflicts);
  });
}

export async function listConflicts(
  ctx: ServiceContext,
  from: string,
  to: string,
  includeAccepted: boolean,
): Promise<ConflictView[]> {
  const conflicts = (await conflictsForDates(ctx, from, to))
    .filter((c) => includeAccepted || !c.acknowledged)
    .slice(0, 1000);
  const { setup } = await loadSetup(ctx);
  return withAppointments(ctx.db, setup, conflicts);
}

/** The appointment ids a conflict id names: `kind:id[:id][:closureId]`. */
function appointmentIdsIn(conflictId: string): string[] {
  return conflictId
    .split(':')
    .slice(1)
    .filter((part) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(part));
}

async function currentConflict(
  ctx: ServiceContext,
  setup: SchedulingSetup,
  conflictId: string,
  db: Executor,
): Promise<Conflict | undefined> {
  const ids = appointmentIdsIn(conflictId);
  if (ids.length === 0 || ids.length > 3) return undefined;
  const named = await db
    .selectFrom('appointment')
    .select(['starts_at', 'ends_at'])
    .where('id', 'in', ids)
    .where('deleted', '=', 0)
    .execute();
  if (named.length === 0) return undefined;
  const start = Math.min(...named.map((a) => a.starts_at));
  const end = Math.max(...named.map((a) => a.ends_at));
  // Everything overlapping the named appointments: enough to recompute their conflicts.
  const reader = readerIn(db);
  const appointments = await holdingAppointments(reader, start - LOOKBACK_MS, end + LOOKBACK_MS);
  const found = computeConflicts({ setup, appointments }).find((c) => c.id === conflictId);
  return found ? (await markAcknowledged(reader, [found]))[0] : undefined;
}

export async function acceptConflict(
  ctx: ServiceContext,
  conflictId: string,
  reason: string,
): Promise<ConflictView> {
  const { setup } = await loadSetup(ctx);
  const accepted = await ctx.db.transaction().execute(async (tx) => {
    const conflict = await currentConflict(ctx, setup, conflictId, tx);
    if (!conflict) throw notFound('The conflict');
    if (conflict.acknowledged) return conflict;
    await insertRecord(tx, ctx.writer, 'conflict_acknowledgement', {
      conflict_id: conflict.id,
      appointment_id: conflict.appointmentIds[0]!,
      other_appointment_id: conflict.appointmentIds[1] ?? null,
      reason,
      acknowledged_by: ctx.writer.actorId,
      acknowledged_at: ctx.writer.now().getTime(),
    });
    return { ...conflict, acknowledged: true };
  });
  ctx.emit('schedule.changed', { setup: false });
  return (await withAppointments(ctx.db, setup, [accepted]))[0]!;
}
