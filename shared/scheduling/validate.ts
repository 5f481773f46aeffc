/**
 * Checks on a booking (new or moved appointment) before it is saved.
 *
 * Design:
 * - `validateBooking` answers "is this a well-formed booking?": shape (zod), length, the
 *   5-minute grid in the clinic's zone, chair/provider/type known and in use, provider allowed
 *   to do the type. Problems are one `AppError('VALIDATION')` listing every field at fault, with
 *   messages for staff and no patient data.
 * - The length comes from `end`, else `durationMinutes`, else the type's default.
 * - Clashes are not validation errors: `bookingConflicts` lists the conflicts the booking would
 *   take part in, and `checkOverride` lets it through only with a reason that names every open
 *   conflict (the ids the user was shown, so a clash that appeared meanwhile is not waved
 *   through unseen). It returns the acknowledgements the service records with the booking.
 * - The booking's id is chosen by the caller (a UUID made before validation), because conflict
 *   ids are derived from appointment ids.
 */
import { z } from 'zod';
import { AppError } from '../errors';
import type { FieldIssue } from '../errors';
import { id, requiredText } from '../domain/common';
import { computeConflicts } from './conflicts';
import type { Conflict, ConflictInput } from './conflicts';
import { MAX_APPOINTMENT_MINUTES, instantSchema } from './model';
import type { Appointment, SchedulingSetup } from './model';
import { GRID_MINUTES, MINUTE_MS, isOnGrid } from './time';
import type { Instant } from './time';

export const bookingRequestSchema = z.strictObject({
  id,
  patientId: id,
  chairId: id,
  providerId: id,
  typeId: id,
  start: instantSchema,
  end: instantSchema.optional(),
  durationMinutes: z.number().int('Use whole minutes').optional(),
});
export type BookingRequest = z.input<typeof bookingRequestSchema>;

export interface Booking {
  id: string;
  patientId: string;
  chairId: string;
  providerId: string;
  typeId: string;
  start: Instant;
  end: Instant;
}

export const bookingOverrideSchema = z.strictObject({
  reason: requiredText(500, 'Reason'),
  /** The open conflicts the user saw and accepts. */
  conflictIds: z.array(z.string().min(1).max(300)).max(200),
});
export type BookingOverride = z.input<typeof bookingOverrideSchema>;

/** Turns zod issues into the field list of an AppError. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message }));
}

export function validationError(fields: FieldIssue[]): AppError {
  return new AppError('VALIDATION', 'Some details need attention.', fields);
}

/** A well-formed booking, or AppError('VALIDATION') naming every field at fault. */
export function validateBooking(input: unknown, setup: SchedulingSetup): Booking {
  const parsed = bookingRequestSchema.safeParse(input);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error));
  const req = parsed.data;
  const issues: FieldIssue[] = [];
  const chair = setup.chairs.find((c) => c.id === req.chairId);
  const provider = setup.providers.find((p) => p.id === req.providerId);
  const type = setup.appointmentTypes.find((t) => t.id === req.typeId);

  if (!chair) issues.push({ path: 'chairId', message: 'This chair is not set up' });
  else if (chair.active === false) {
    issues.push({ path: 'chairId', message: 'This chair is no longer in use' });
  }
  if (!provider) issues.push({ path: 'providerId', message: 'This provider is not set up' });
  else if (provider.active === false) {
    issues.push({ path: 'providerId', message: 'This provider no longer takes bookings' });
  }
  if (!type) issues.push({ path: 'typeId', message: 'This appointment type is not set up' });
  else if (type.active === false) {
    issues.push({ path: 'typeId', message: 'This appointment type is no longer offered' });
  }
  if (provider && type && !type.allowedProviderKinds.includes(provider.kind)) {
    issues.push({
      path: 'providerId',
      message: 'This provider cannot do this type of appointment',
    });
  }

  if (!isOnGrid(req.start, setup.timeZone)) {
    issues.push({ path: 'start', message: 'Appointments start on a 5-minute mark, e.g. 09:05' });
  }

  let end: Instant | null = null;
  if (req.end !== undefined) {
    if (req.end < req.start) {
      issues.push({ path: 'end', message: 'The appointment must end after it starts' });
    } else if (req.end === req.start) {
      issues.push({ path: 'end', message: 'The appointment needs at least 5 minutes' });
    } else {
      end = req.end;
      if (
        req.durationMinutes !== undefined &&
        req.durationMinutes * MINUTE_MS !== end - req.start
      ) {
        issues.push({ path: 'durationMinutes', message: 'The length does not match the end' });
      }
    }
  } else if (req.durationMinutes !== undefined) {
    if (req.durationMinutes <= 0) {
      issues.push({ path: 'durationMinutes', message: 'The length must be at least 5 minutes' });
    } else {
      end = req.start + req.durationMinutes * MINUTE_MS;
    }
  } else if (type) {
    end = req.start + type.durationUnits * GRID_MINUTES * MINUTE_MS;
  }

  if (end !== null) {
    const lengthField = req.end !== undefined ? 'end' : 'durationMinutes';
    const minutes = (end - req.start) / MINUTE_MS;
    if (minutes % GRID_MINUTES !== 0) {
      issues.push({ path: lengthField, message: 'Use 5-minute steps for the length' });
    } else if (minutes > MAX_APPOINTMENT_MINUTES) {
      issues.push({ path: lengthField, message: 'An appointment can last at most 12 hours' });
    }
  }

  if (issues.length > 0 || end === null) throw validationError(issues);
  return {
    id: req.id,
    patientId: req.patientId,
    chairId: req.chairId,
    providerId: req.providerId,
    typeId: req.typeId,
    start: req.start,
    end,
  };
}

/**
 * The conflicts the booking would take part in, open or already accepted. An appointment with
 * the booking's id in `appointments` is the one being moved and is replaced by the booking.
 */
export function bookingConflicts(booking: Booking, context: ConflictInput): Conflict[] {
  const candidate: Appointment = { ...booking, status: 'booked' };
  const appointments = context.appointments.filter((a) => a.id !== booking.id);
  appointments.push(candidate);
  return computeConflicts({ ...context, appointments }).filter((c) =>
    c.appointmentIds.includes(booking.id),
  );
}

export interface AcceptedConflict {
  conflictId: string;
  reason: string;
}

/**
 * Lets a booking into its open conflicts only with an override whose reason is given and whose
 * ids cover every open conflict. Returns the acknowledgements to record (none when nothing is
 * open); throws AppError('CONFLICT') otherwise.
 */
export function checkOverride(
  conflicts: readonly Conflict[],
  override?: BookingOverride | null,
): AcceptedConflict[] {
  const open = conflicts.filter((c) => !c.acknowledged);
  if (open.length === 0) return [];
  if (!override) {
    throw new AppError('CONFLICT', 'This booking clashes with the schedule.', [
      { path: 'override.reason', message: 'Give a reason to book despite the clash' },
    ]);
  }
  const parsed = bookingOverrideSchema.safeParse(override);
  if (!parsed.success) {
    throw new AppError(
      'CONFLICT',
      'This booking clashes with the schedule.',
      fieldIssues(parsed.error).map((f) => ({ ...f, path: `override.${f.path}` })),
    );
  }
  const named = new Set(parsed.data.conflictIds);
  if (open.some((c) => !named.has(c.id))) {
    throw new AppError('CONFLICT', 'The schedule changed; review the clashes again.', [
      { path: 'override.conflictIds', message: 'A new clash appeared since you looked' },
    ]);
  }
  return open.map((c) => ({ conflictId: c.id, reason: parsed.data.reason }));
}
