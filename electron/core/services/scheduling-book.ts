/**
 * The appointment book: reading days and weeks, booking, moving and resizing, the status flow,
 * cancellation and the free-slot search.
 *
 * Design:
 * - Every write is one transaction that re-reads what it depends on (set-up, the appointments
 *   around the new time) and runs the shared rules: `validateBooking` for the shape, then
 *   `bookingConflicts` + `checkOverride`. A clash is refused with a message naming what is in
 *   the way, unless the call carries an override whose reason covers every open conflict; the
 *   accepted conflicts become insert-only acknowledgement rows in the same transaction.
 * - Moving an appointment (time, chair or provider), cancelling it or marking a no-show retires
 *   the acknowledgements naming it: an acceptance was given for one arrangement, and a new one
 *   needs its own reason. Reinstating (back to booked) is checked like a new booking.
 * - Each status change is an insert-only row with who (the session's staff id) and when.
 *   Completing an appointment moves the patient's recall for that type forward.
 * - The free-slot search loads appointments a week (or, with a provider or chair given, a date)
 *   at a time and stops as soon as it has enough results, so a slot tomorrow costs little
 *   whatever the horizon. With a provider or chair, a first pass over that resource alone finds
 *   the dates worth loading in full.
 */
import { AppError } from '../../../shared/errors';
import type {
  AppointmentChanges,
  AppointmentDetail,
  BookAppointment,
  BookingCheck,
  BookRange,
  CancelResult,
  NewAppointmentInput,
  PatientSchedule,
} from '../../../shared/ipc/scheduling';
import {
  addDays,
  assessCancellation,
  bookingConflicts,
  checkOverride,
  computeConflicts,
  dayBounds,
  findFreeSlots,
  freeSlotRequestSchema,
  holdsTime,
  localDateOf,
  validateBooking,
  weekdayOf,
} from '../../../shared/scheduling';
import type {
  Appointment,
  AppointmentStatus,
  Booking,
  BookingOverride,
  Conflict,
  FreeSlot,
  FreeSlotRequest,
  Instant,
  SchedulingSetup,
} from '../../../shared/scheduling';
import { fieldIssues, validationError } from '../../../shared/scheduling';
import { deleteRecord, insertRecord, updateRecord } from '../db/changes';
import type { Executor, Tx } from '../db/kysely';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import { clashMessage, describeConflict } from './scheduling-describe';
import {
  acknowledgementsOf,
  cardById,
  cardsBetween,
  busySpans,
  holdingAppointments,
  markAcknowledged,
  patientAppointments,
  patientCards,
} from './scheduling-queries';
import { patientRecalls, recordVisit } from './scheduling-recall';
import { readerIn, reading, type Reader } from './scheduling-reads';
import { loadSetup, setupFrom } from './scheduling-setup';
import { patientWaitlist, waitlistOffers } from './scheduling-waitlist';

const STATUS_LABELS: Record<AppointmentStatus, string> = {
  booked: 'booked',
  confirmed: 'confirmed',
  arrived: 'arrived',
  in_chair: 'in the chair',
  completed: 'completed',
  cancelled: 'cancelled',
  no_show: 'a no-show',
};

/** Where each status may go with `setStatus`; cancelling has its own path. */
const NEXT_STATUS: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  booked: ['confirmed', 'arrived', 'no_show'],
  confirmed: ['booked', 'arrived', 'no_show'],
  // Undo a check-in made by mistake; a patient may also be seen without being seated first.
  arrived: ['in_chair', 'completed', 'confirmed', 'booked'],
  in_chair: ['completed', 'arrived'],
  completed: ['in_chair'],
  cancelled: ['booked'],
  no_show: ['booked', 'arrived'],
};

const CANCELLABLE: readonly AppointmentStatus[] = ['booked', 'confirmed', 'arrived'];
/** Whose time, chair and provider can still be changed. */
const MOVABLE: readonly AppointmentStatus[] = ['booked', 'confirmed', 'arrived', 'in_chair'];

// ---------------------------------------------------------------------------------------------
// Reading

export async function bookRange(
  ctx: ServiceContext,
  from: string,
  days: number,
): Promise<BookRange> {
  return reading(ctx, async (reader) => {
    const { setup } = await setupFrom(ctx, reader);
    const dates = Array.from({ length: days }, (_, i) =>
      dayBounds(addDays(from, i), setup.timeZone),
    );
    const start = dates[0]!.start;
    const end = dates[dates.length - 1]!.end;
    const appointments = await cardsBetween(reader, ctx.db, start, end);
    // Cards carry every field the rules read, so they go in as they are.
    const conflicts = await markAcknowledged(reader, computeConflicts({ setup, appointments }));
    return { from, days, dates, appointments, conflicts };
  });
}

async function requireCard(db: Executor, id: string): Promise<BookAppointment> {
  const card = await cardById(db, id);
  if (!card) throw notFound('The appointment');
  return card;
}

export async function getAppointment(ctx: ServiceContext, id: string): Promise<AppointmentDetail> {
  const card = await requireCard(ctx.db, id);
  const [history, acks] = await Promise.all([
    ctx.db
      .selectFrom('appointment_status_change as s')
      .leftJoin('staff', 'staff.id', 's.changed_by')
      .select(['s.status', 's.previous_status', 's.changed_at', 's.reason', 'staff.display_name'])
      .where('s.appointment_id', '=', id)
      .where('s.deleted', '=', 0)
      .orderBy('s.changed_at')
      .orderBy('s.hlc')
      .execute(),
    ctx.db
      .selectFrom('conflict_acknowledgement as k')
      .leftJoin('staff', 'staff.id', 'k.acknowledged_by')
      .select(['k.conflict_id', 'k.reason', 'k.acknowledged_at', 'staff.display_name'])
      .where('k.deleted', '=', 0)
      .where((eb) =>
        eb.or([eb('k.appointment_id', '=', id), eb('k.other_appointment_id', '=', id)]),
      )
      .orderBy('k.acknowledged_at')
      .execute(),
  ]);
  return {
    ...card,
    history: history.map((h) => ({
      status: h.status as AppointmentStatus,
      previousStatus: (h.previous_status as AppointmentStatus | null) ?? null,
      at: h.changed_at,
      byName: h.display_name ?? null,
      reason: h.reason,
    })),
    acknowledgements: acks.map((k) => ({
      conflictId: k.conflict_id,
      reason: k.reason,
      at: k.acknowledged_at,
      byName: k.display_name ?? null,
    })),
  };
}

export async function patientSchedule(
  ctx: ServiceContext,
  patientId: string,
): Promise<PatientSchedule> {
  await requirePatient(ctx.db, patientId);
  const now = ctx.writer.now().getTime();
  const [upcoming, past, recalls, waitlist] = await Promise.all([
    patientCards(ctx.db, patientId, now, 'upcoming', 100),
    patientCards(ctx.db, patientId, now, 'past', 101),
    patientRecalls(ctx, patientId),
    patientWaitlist(ctx, patientId),
  ]);
  return { upcoming, past: past.slice(0, 100), morePast: past.length > 100, recalls, waitlist };
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the writes

async function requirePatient(db: Executor, patientId: string): Promise<void> {
  const p = await db
    .selectFrom('patient')
    .select('id')
    .where('id', '=', patientId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!p) {
    throw new AppError('VALIDATION', 'The patient was not found.', [
      { path: 'patientId', message: 'The patient was not found' },
    ]);
  }
}

function bookingRequest(input: NewAppointmentInput) {
  return {
    id: input.id,
    patientId: input.patientId,
    chairId: input.chairId,
    providerId: input.providerId,
    typeId: input.typeId,
    start: input.start,
    ...(input.end !== undefined ? { end: input.end } : {}),
    ...(input.durationMinutes !== undefined ? { durationMinutes: input.durationMinutes } : {}),
  };
}

/** The conflicts a booking would take part in, given the acknowledgements still standing. */
async function conflictsFor(
  tx: Executor,
  setup: SchedulingSetup,
  booking: Booking,
  keepAcknowledgements: boolean,
): Promise<Conflict[]> {
  const appointments = await holdingAppointments(readerIn(tx), booking.start, booking.end);
  const acknowledgements = keepAcknowledgements
    ? (await acknowledgementsOf(tx, booking.id)).map((a) => ({ conflictId: a.conflict_id }))
    : [];
  return bookingConflicts(booking, { setup, appointments, acknowledgements });
}

/**
 * Lets the booking through its open conflicts only with a matching override; returns the
 * conflicts to record as accepted.
 */
function requireOverride(
  conflicts: Conflict[],
  override: BookingOverride | undefined,
  setup: SchedulingSetup,
): Conflict[] {
  try {
    const accepted = checkOverride(conflicts, override ?? null);
    const ids = new Set(accepted.map((a) => a.conflictId));
    return conflicts.filter((c) => ids.has(c.id));
  } catch (e) {
    if (e instanceof AppError && e.code === 'CONFLICT' && !override) {
      throw new AppError(
        'CONFLICT',
        clashMessage(
          conflicts.filter((c) => !c.acknowledged),
          setup,
        ),
        e.fields,
      );
    }
    throw e;
  }
}

async function recordAcknowledgements(
  tx: Tx,
  ctx: ServiceContext,
  accepted: Conflict[],
  reason: string,
): Promise<void> {
  const at = ctx.writer.now().getTime();
  for (const c of accepted) {
    await insertRecord(tx, ctx.writer, 'conflict_acknowledgement', {
      conflict_id: c.id,
      appointment_id: c.appointmentIds[0]!,
      other_appointment_id: c.appointmentIds[1] ?? null,
      reason,
      acknowledged_by: ctx.writer.actorId,
      acknowledged_at: at,
    });
  }
}

async function retireAcknowledgements(tx: Tx, ctx: ServiceContext, appointmentId: string) {
  for (const a of await acknowledgementsOf(tx, appointmentId)) {
    await deleteRecord(tx, ctx.writer, 'conflict_acknowledgement', a.id);
  }
}

async function recordStatus(
  tx: Tx,
  ctx: ServiceContext,
  appointment: { id: string; patientId: string },
  status: AppointmentStatus,
  previous: AppointmentStatus | null,
  reason: string | null = null,
): Promise<void> {
  await insertRecord(tx, ctx.writer, 'appointment_status_change', {
    appointment_id: appointment.id,
    patient_id: appointment.patientId,
    status,
    previous_status: previous,
    changed_by: ctx.writer.actorId,
    changed_at: ctx.writer.now().getTime(),
    reason,
  });
}

interface StoredAppointment extends Appointment {
  notes: string | null;
}

async function loadForWrite(tx: Tx, id: string): Promise<StoredAppointment> {
  const row = await tx
    .selectFrom('appointment')
    .select([
      'id',
      'patient_id',
      'chair_id',
      'provider_id',
      'type_id',
      'starts_at',
      'ends_at',
      'status',
      'notes',
    ])
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) throw notFound('The appointment');
  return {
    id: row.id,
    patientId: row.patient_id,
    chairId: row.chair_id,
    providerId: row.provider_id,
    typeId: row.type_id,
    start: row.starts_at,
    end: row.ends_at,
    status: row.status as AppointmentStatus,
    notes: row.notes,
  };
}

function changed(ctx: ServiceContext): void {
  ctx.emit('schedule.changed', { setup: false });
}

// ---------------------------------------------------------------------------------------------
// Booking

export async function checkBooking(
  ctx: ServiceContext,
  input: NewAppointmentInput,
): Promise<BookingCheck> {
  const { setup } = await loadSetup(ctx);
  const booking = validateBooking(bookingRequest(input), setup);
  const existing = await ctx.db
    .selectFrom('appointment')
    .select(['chair_id', 'provider_id', 'starts_at', 'ends_at'])
    .where('id', '=', booking.id)
    .executeTakeFirst();
  // As a move would: acceptances stand only while the appointment stays where it is.
  const unmoved =
    existing !== undefined &&
    existing.chair_id === booking.chairId &&
    existing.provider_id === booking.providerId &&
    existing.starts_at === booking.start &&
    existing.ends_at === booking.end;
  const conflicts = await conflictsFor(ctx.db, setup, booking, unmoved);
  const open = conflicts.filter((c) => !c.acknowledged);
  return {
    conflicts,
    openConflictIds: open.map((c) => c.id),
    descriptions: open.map((c) => describeConflict(c, setup)),
  };
}

/** Inside a transaction: validates, checks conflicts and inserts; returns the booking. */
export async function insertBooking(
  tx: Tx,
  ctx: ServiceContext,
  input: NewAppointmentInput,
  override: BookingOverride | undefined,
): Promise<Booking> {
  const { setup } = await loadSetup(ctx, tx);
  const booking = validateBooking(bookingRequest(input), setup);
  await requirePatient(tx, booking.patientId);
  const taken = await tx
    .selectFrom('appointment')
    .select('id')
    .where('id', '=', booking.id)
    .executeTakeFirst();
  if (taken) {
    throw new AppError('CONFLICT', 'This appointment has already been saved.', [
      { path: 'id', message: 'Already saved' },
    ]);
  }
  const conflicts = await conflictsFor(tx, setup, booking, false);
  const accepted = requireOverride(conflicts, override, setup);
  await insertRecord(tx, ctx.writer, 'appointment', {
    id: booking.id,
    patient_id: booking.patientId,
    chair_id: booking.chairId,
    provider_id: booking.providerId,
    type_id: booking.typeId,
    starts_at: booking.start,
    ends_at: booking.end,
    status: 'booked',
    notes: input.notes ?? null,
    cancel_reason: null,
    cancelled_by: null,
    late_cancellation: null,
  });
  await recordStatus(tx, ctx, booking, 'booked', null);
  if (override) await recordAcknowledgements(tx, ctx, accepted, override.reason);
  return booking;
}

export async function book(
  ctx: ServiceContext,
  input: NewAppointmentInput,
  override?: BookingOverride,
): Promise<BookAppointment> {
  const booking = await ctx.db
    .transaction()
    .execute((tx) => insertBooking(tx, ctx, input, override));
  changed(ctx);
  return requireCard(ctx.db, booking.id);
}

/** Inside a transaction: moves, resizes or edits one appointment. */
export async function applyChanges(
  tx: Tx,
  ctx: ServiceContext,
  id: string,
  changes: AppointmentChanges,
  override: BookingOverride | undefined,
): Promise<void> {
  const current = await loadForWrite(tx, id);
  const timeGiven =
    changes.start !== undefined ||
    changes.end !== undefined ||
    changes.durationMinutes !== undefined ||
    (changes.chairId !== undefined && changes.chairId !== current.chairId) ||
    (changes.providerId !== undefined && changes.providerId !== current.providerId);
  const typeGiven = changes.typeId !== undefined && changes.typeId !== current.typeId;
  const columns: Record<string, string | number | null> = {};
  if (changes.notes !== undefined) columns.notes = changes.notes ?? null;

  if (timeGiven || typeGiven) {
    if (!MOVABLE.includes(current.status)) {
      throw new AppError(
        'CONFLICT',
        `A ${STATUS_LABELS[current.status]} appointment cannot be moved. Reinstate it first.`,
      );
    }
    const { setup } = await loadSetup(ctx, tx);
    const start = changes.start ?? current.start;
    const request = {
      id,
      patientId: current.patientId,
      chairId: changes.chairId ?? current.chairId,
      providerId: changes.providerId ?? current.providerId,
      typeId: changes.typeId ?? current.typeId,
      start,
      ...(changes.end !== undefined
        ? { end: changes.end }
        : changes.durationMinutes !== undefined
          ? { durationMinutes: changes.durationMinutes }
          : { end: start + (current.end - current.start) }),
    };
    const booking = validateBooking(request, setup);
    const moved =
      booking.start !== current.start ||
      booking.end !== current.end ||
      booking.chairId !== current.chairId ||
      booking.providerId !== current.providerId;
    if (moved) await retireAcknowledgements(tx, ctx, id);
    const conflicts = await conflictsFor(tx, setup, booking, !moved);
    const accepted = requireOverride(conflicts, override, setup);
    Object.assign(columns, {
      chair_id: booking.chairId,
      provider_id: booking.providerId,
      type_id: booking.typeId,
      starts_at: booking.start,
      ends_at: booking.end,
    });
    await updateRecord(tx, ctx.writer, 'appointment', id, columns);
    if (override) await recordAcknowledgements(tx, ctx, accepted, override.reason);
    return;
  }
  if (Object.keys(columns).length > 0)
    await updateRecord(tx, ctx.writer, 'appointment', id, columns);
}

export async function updateAppointment(
  ctx: ServiceContext,
  id: string,
  changes: AppointmentChanges,
  override?: BookingOverride,
): Promise<BookAppointment> {
  await ctx.db.transaction().execute((tx) => applyChanges(tx, ctx, id, changes, override));
  changed(ctx);
  return requireCard(ctx.db, id);
}

// ---------------------------------------------------------------------------------------------
// Status flow

export async function setStatus(
  ctx: ServiceContext,
  id: string,
  status: AppointmentStatus,
  override?: BookingOverride,
): Promise<BookAppointment> {
  let wrote = false;
  await ctx.db.transaction().execute(async (tx) => {
    const current = await loadForWrite(tx, id);
    if (current.status === status) return;
    if (!NEXT_STATUS[current.status].includes(status)) {
      throw new AppError(
        'VALIDATION',
        `A ${STATUS_LABELS[current.status]} appointment cannot be marked ${STATUS_LABELS[status]}.`,
        [{ path: 'status', message: 'Not possible from the current status' }],
      );
    }
    const { setup } = await loadSetup(ctx, tx);
    const now = ctx.writer.now().getTime();
    const today = localDateOf(now, setup.timeZone);
    const day = localDateOf(current.start, setup.timeZone);
    if ((status === 'arrived' || status === 'in_chair' || status === 'completed') && day > today) {
      throw new AppError('VALIDATION', 'This appointment is on a later day.', [
        { path: 'status', message: 'Patients are checked in on the day of the appointment' },
      ]);
    }
    if (status === 'no_show' && now < current.start) {
      throw new AppError('VALIDATION', 'The appointment has not started yet.', [
        { path: 'status', message: 'A no-show is marked once the start time has passed' },
      ]);
    }
    const columns: Record<string, string | number | null> = { status };
    if (!holdsTime(current.status) && holdsTime(status)) {
      // Reinstating gives the time back to this appointment: check it like a new booking.
      const booking: Booking = {
        id: current.id,
        patientId: current.patientId,
        chairId: current.chairId,
        providerId: current.providerId,
        typeId: current.typeId,
        start: current.start,
        end: current.end,
      };
      const conflicts = await conflictsFor(tx, setup, booking, false);
      const accepted = requireOverride(conflicts, override, setup);
      Object.assign(columns, { cancel_reason: null, cancelled_by: null, late_cancellation: null });
      await updateRecord(tx, ctx.writer, 'appointment', id, columns);
      if (override) await recordAcknowledgements(tx, ctx, accepted, override.reason);
    } else {
      if (holdsTime(current.status) && !holdsTime(status)) {
        await retireAcknowledgements(tx, ctx, id);
      }
      await updateRecord(tx, ctx.writer, 'appointment', id, columns);
    }
    await recordStatus(tx, ctx, current, status, current.status);
    if (status === 'completed') await recordVisit(tx, ctx, current.patientId, current.typeId, day);
    wrote = true;
  });
  if (wrote) changed(ctx);
  return requireCard(ctx.db, id);
}

export async function cancelAppointment(
  ctx: ServiceContext,
  id: string,
  reason: string,
  by: 'patient' | 'clinic',
): Promise<CancelResult> {
  let late = false;
  const freed = await ctx.db.transaction().execute(async (tx) => {
    const current = await loadForWrite(tx, id);
    if (!CANCELLABLE.includes(current.status)) {
      throw new AppError(
        'VALIDATION',
        `A ${STATUS_LABELS[current.status]} appointment cannot be cancelled.`,
        [{ path: 'id', message: 'Not possible from the current status' }],
      );
    }
    const { setup, lateCancellation } = await loadSetup(ctx, tx);
    const now = ctx.writer.now().getTime();
    // Only the patient can cancel late; a clinic cancellation is never held against them.
    late =
      by === 'patient' &&
      assessCancellation({
        appointmentStart: current.start,
        cancelledAt: now,
        policy: lateCancellation,
        timeZone: setup.timeZone,
      }).late;
    await retireAcknowledgements(tx, ctx, id);
    await updateRecord(tx, ctx.writer, 'appointment', id, {
      status: 'cancelled',
      cancel_reason: reason,
      cancelled_by: by,
      late_cancellation: late ? 1 : 0,
    });
    await recordStatus(tx, ctx, current, 'cancelled', current.status, reason);
    return current;
  });
  changed(ctx);
  const now = ctx.writer.now().getTime();
  const offers =
    freed.end > now
      ? await waitlistOffers(ctx, {
          chairId: freed.chairId,
          providerId: freed.providerId,
          start: Math.max(freed.start, now),
          end: freed.end,
          excludePatientId: freed.patientId,
        })
      : [];
  return { appointment: await requireCard(ctx.db, id), late, offers };
}

// ---------------------------------------------------------------------------------------------
// Free slots

/** A UUID no real record uses, for the stand-in resource of the first pass. */
const STAND_IN_ID = '00000000-0000-4000-8000-00000000f5ee';

export async function freeSlots(
  ctx: ServiceContext,
  request: FreeSlotRequest,
): Promise<FreeSlot[]> {
  const parsed = freeSlotRequestSchema.safeParse(request);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error));
  const req = parsed.data;
  return reading(ctx, async (reader) => {
    const { setup } = await setupFrom(ctx, reader);
    // Validates the request against the set-up (unknown type, unqualified provider...) up front.
    findFreeSlots({ ...req, weeks: 1, limit: 1 }, { setup: emptyDays(setup), appointments: [] });

    const limit = req.limit ?? 10;
    const days = req.weeks * 7;
    const lastDate = addDays(req.fromDate, days - 1);
    const horizon = {
      start: dayBounds(req.fromDate, setup.timeZone).start,
      end: dayBounds(lastDate, setup.timeZone).end,
    };
    const slots: FreeSlot[] = [];

    let candidateDates: string[] | null = null;
    if (req.providerId || req.chairId) {
      candidateDates = await datesWorthSearching(reader, setup, req, horizon);
    }

    if (candidateDates) {
      for (const date of candidateDates) {
        if (slots.length >= limit) break;
        // One date at a time: the search covers a week from `date`, limited to its weekday.
        const day = dayBounds(date, setup.timeZone);
        const appointments = await holdingAppointments(reader, day.start, day.end);
        const found = findFreeSlots(
          {
            ...req,
            fromDate: date,
            weeks: 1,
            limit: limit - slots.length,
            preferredWeekdays: [weekdayOf(date)],
          },
          { setup, appointments },
        );
        slots.push(...found.filter((s) => s.date === date));
      }
    } else {
      // A week at a time: slots never cross a local date, so weeks can be searched separately.
      for (let n = 0; n < days && slots.length < limit; n += 7) {
        const fromDate = addDays(req.fromDate, n);
        const appointments = await holdingAppointments(
          reader,
          dayBounds(fromDate, setup.timeZone).start,
          dayBounds(addDays(fromDate, 6), setup.timeZone).end,
        );
        const found = findFreeSlots(
          { ...req, fromDate, weeks: 1, limit: limit - slots.length },
          { setup, appointments },
        );
        slots.push(...found.filter((s) => s.date <= lastDate));
      }
    }
    return slots.slice(0, limit);
  });
}

/** The set-up with no closures and no hours differences: only used to validate a request. */
function emptyDays(setup: SchedulingSetup): SchedulingSetup {
  return { ...setup, openingHours: { weekly: {} }, closures: [] };
}

/**
 * Dates on which the given provider (or chair) has room for the slot, ignoring the other side:
 * the search runs with a stand-in chair (or provider) that is always free, so the answer is a
 * superset of the dates that hold a real free slot.
 */
async function datesWorthSearching(
  reader: Reader,
  setup: SchedulingSetup,
  req: ReturnType<typeof freeSlotRequestSchema.parse>,
  horizon: { start: Instant; end: Instant },
): Promise<string[]> {
  const byProvider = req.providerId !== undefined;
  const resourceId = (req.providerId ?? req.chairId)!;
  const [spans, patientBusy] = await Promise.all([
    busySpans(
      reader,
      byProvider ? 'provider_id' : 'chair_id',
      resourceId,
      horizon.start,
      horizon.end,
    ),
    req.patientId
      ? patientAppointments(reader, req.patientId, horizon.start, horizon.end)
      : Promise.resolve([]),
  ]);
  // The resource's busy time as appointments of the stand-in pair; ids only need to differ.
  const appointments: Appointment[] = spans.map((s, i) => ({
    id: `busy-${i}`,
    patientId: STAND_IN_ID,
    chairId: byProvider ? STAND_IN_ID : resourceId,
    providerId: byProvider ? resourceId : STAND_IN_ID,
    typeId: STAND_IN_ID,
    start: s.start,
    end: s.end,
    status: 'booked',
  }));
  for (const a of patientBusy) {
    appointments.push(
      byProvider ? { ...a, chairId: STAND_IN_ID } : { ...a, providerId: STAND_IN_ID },
    );
  }
  const type = req.typeId ? setup.appointmentTypes.find((t) => t.id === req.typeId) : undefined;
  const standIn: SchedulingSetup = byProvider
    ? { ...setup, chairs: [{ id: STAND_IN_ID, name: 'Any chair' }] }
    : {
        ...setup,
        providers: [
          {
            id: STAND_IN_ID,
            name: 'Any provider',
            kind: type?.allowedProviderKinds[0] ?? 'other',
            colour: '#000000',
          },
        ],
        providerSchedules: [],
      };
  const request = byProvider
    ? { ...req, chairId: STAND_IN_ID }
    : { ...req, providerId: STAND_IN_ID };
  const found = findFreeSlots(
    { ...request, maxPerDay: 1, limit: Math.min(500, req.weeks * 7) },
    { setup: standIn, appointments },
  );
  return found.map((s) => s.date);
}
