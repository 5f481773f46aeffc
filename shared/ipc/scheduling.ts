/**
 * The appointment book's commands: clinic set-up, the book itself (day and week, booking, moving,
 * status flow, cancellation), free-slot search, the conflict inbox, the waitlist and recalls.
 *
 * Design:
 * - Times cross the boundary as UTC epoch milliseconds (`Instant`); dates as clinic-local
 *   `YYYY-MM-DD`. The renderer turns them into wall-clock text with shared/scheduling/time.
 * - A new appointment's id is chosen by the caller (a UUID made when the booking form opens):
 *   conflict ids are derived from appointment ids, so the clashes shown before saving are the
 *   ones an override names when saving again.
 * - Rule checks (length, grid, unknown chair, unqualified provider...) run in the core with
 *   shared/scheduling/validate, so the schemas here check shape only and the messages stay the
 *   rules' own. Whoever acts is always the session's member of staff, never an argument.
 * - The reception roles book; the practice manager changes the set-up; closures and a provider's
 *   hours for a date are also open to reception, who hear of them first. Auditors have no access.
 */
import { z } from 'zod';
import type { AlertKind } from '../domain/patient';
import { id, isoDate, optionalText, requiredText } from '../domain/common';
import type { Role } from '../roles';
import {
  MAX_APPOINTMENT_MINUTES,
  appointmentTypeSchema,
  bookingOverrideSchema,
  chairSchema,
  closureSchema,
  freeSlotRequestSchema,
  instantSchema,
  lateCancellationPolicySchema,
  openingHoursSchema,
  providerDaySchema,
  providerSchema,
  timeRangeSchema,
  weekdaySchema,
} from '../scheduling';
import type {
  AppointmentStatus,
  Conflict,
  DayBounds,
  FreeSlot,
  Instant,
  LateCancellationPolicy,
  SchedulingSetup,
  TimeRange,
  Weekday,
} from '../scheduling';
import { command } from './command';

export const BOOKING_ROLES: readonly Role[] = ['receptionist', 'clinician', 'practice_manager'];
export const SETUP_ROLES: readonly Role[] = ['practice_manager'];
export const CLOSURE_ROLES: readonly Role[] = ['receptionist', 'practice_manager'];

/** Dates the book accepts as arguments: far enough for history and future bookings. */
const bookDate = isoDate.refine(
  (d) => d >= '1970-01-02' && d <= '2199-12-30',
  'Choose a date between 1970 and 2199',
);

const position = z.number().int().min(0).max(10_000).optional();

// ---------------------------------------------------------------------------------------------
// Results

export interface SchedulingSetupView {
  /** Chairs, providers and types in display order, retired ones included (old bookings use them). */
  setup: SchedulingSetup;
  lateCancellation: LateCancellationPolicy;
}

/** What a card on the book shows of the patient; names only, no clinical detail. */
export interface BookPatient {
  id: string;
  chartNumber: string;
  givenNames: string;
  familyName: string;
  preferredName: string | null;
  /** Badges: allergies and other medical alerts recorded on the patient. */
  alertKinds: AlertKind[];
}

export interface BookAppointment {
  id: string;
  patientId: string;
  chairId: string;
  providerId: string;
  typeId: string;
  start: Instant;
  end: Instant;
  status: AppointmentStatus;
  hasNotes: boolean;
  /**
   * Notes and cancellation details come with single appointments (`appointments.get`, the
   * patient's list...); the book's day and week leave them null to stay fast (`hasNotes` says
   * whether there are notes to open).
   */
  notes: string | null;
  cancelReason: string | null;
  cancelledBy: 'patient' | 'clinic' | null;
  /** Decided when cancelled, under the policy of that moment; null unless cancelled. */
  lateCancellation: boolean | null;
  /** Null when the patient record has been removed (erased on another workstation, say). */
  patient: BookPatient | null;
}

export interface BookRange {
  from: string;
  days: number;
  /** Real bounds of each date: 23 or 25 hours on daylight-saving days. */
  dates: DayBounds[];
  /** Every appointment overlapping the dates, cancelled and no-show included, by start. */
  appointments: BookAppointment[];
  /** Conflicts touching the dates, accepted ones included (`acknowledged`). */
  conflicts: Conflict[];
}

export interface StatusChange {
  status: AppointmentStatus;
  previousStatus: AppointmentStatus | null;
  at: Instant;
  byName: string | null;
  reason: string | null;
}

export interface AcceptedConflictView {
  conflictId: string;
  reason: string;
  at: Instant;
  byName: string | null;
}

export interface AppointmentDetail extends BookAppointment {
  /** Oldest first: booked, confirmed, arrived... with who and when. */
  history: StatusChange[];
  acknowledgements: AcceptedConflictView[];
}

export interface BookingCheck {
  /** Every conflict the booking would take part in, accepted ones marked. */
  conflicts: Conflict[];
  /** Those still needing an override: the ids to name in it. */
  openConflictIds: string[];
  /** One line per open conflict, for the override dialog (no patient names). */
  descriptions: string[];
}

export interface WaitlistOffer {
  entry: WaitlistEntryView;
  /** The freed slot, trimmed to the entry's length. */
  start: Instant;
  end: Instant;
  chairId: string;
  providerId: string;
}

export interface CancelResult {
  appointment: BookAppointment;
  late: boolean;
  /** Waitlist patients who could take the freed time, best first. */
  offers: WaitlistOffer[];
}

export interface WaitlistEntryView {
  id: string;
  patient: BookPatient | null;
  patientId: string;
  typeId: string | null;
  providerId: string | null;
  durationMinutes: number;
  preferredWeekdays: Weekday[] | null;
  preferredTimes: TimeRange[] | null;
  /** The booking the patient would like earlier, if any. */
  currentAppointment: { id: string; start: Instant; end: Instant } | null;
  asap: boolean;
  notes: string | null;
  status: 'waiting' | 'booked' | 'removed';
  createdAt: string;
}

export interface RecallView {
  id: string;
  patientId: string;
  patient: (BookPatient & { preferredPhone: string | null }) | null;
  typeId: string;
  intervalMonths: number;
  dueDate: string;
  lastVisitDate: string | null;
  status: 'active' | 'stopped';
  notes: string | null;
  /** The next booking of this type, when one is already made. */
  booked: { id: string; start: Instant } | null;
}

export interface PatientSchedule {
  /** From now on, soonest first (cancelled ones included, marked). */
  upcoming: BookAppointment[];
  /** Before now, most recent first, at most 100. */
  past: BookAppointment[];
  morePast: boolean;
  recalls: RecallView[];
  waitlist: WaitlistEntryView[];
}

export interface ConflictView extends Conflict {
  appointments: BookAppointment[];
  /** One line for staff, no patient names. */
  description: string;
}

// ---------------------------------------------------------------------------------------------
// Inputs

const override = bookingOverrideSchema.optional();

export const newAppointmentInput = z.strictObject({
  id,
  patientId: id,
  chairId: id,
  providerId: id,
  typeId: id,
  start: instantSchema,
  end: instantSchema.optional(),
  // Any whole number: the rules explain zero and negative lengths in their own words.
  durationMinutes: z.number().int('Use whole minutes').optional(),
  notes: optionalText(1000).optional(),
});
export type NewAppointmentInput = z.input<typeof newAppointmentInput>;

export const appointmentChanges = z.strictObject({
  start: instantSchema.optional(),
  end: instantSchema.optional(),
  durationMinutes: z.number().int('Use whole minutes').optional(),
  chairId: id.optional(),
  providerId: id.optional(),
  typeId: id.optional(),
  notes: optionalText(1000).optional(),
});
export type AppointmentChanges = z.input<typeof appointmentChanges>;

/** Statuses reached with `appointments.setStatus`; cancelling has its own command (a reason). */
export const SETTABLE_STATUSES = [
  'booked',
  'confirmed',
  'arrived',
  'in_chair',
  'completed',
  'no_show',
] as const satisfies readonly AppointmentStatus[];

export const waitlistEntryInput = z.strictObject({
  patientId: id,
  typeId: id.nullable().optional(),
  providerId: id.nullable().optional(),
  durationMinutes: z
    .number()
    .int('Use whole minutes')
    .min(5, 'At least 5 minutes')
    .max(MAX_APPOINTMENT_MINUTES, 'At most 12 hours')
    .multipleOf(5, 'Use 5-minute steps')
    .optional(),
  preferredWeekdays: z.array(weekdaySchema).max(7).nullable().optional(),
  preferredTimes: z.array(timeRangeSchema).max(6).nullable().optional(),
  currentAppointmentId: id.nullable().optional(),
  asap: z.boolean().default(false),
  notes: optionalText(500),
});
export type WaitlistEntryInput = z.input<typeof waitlistEntryInput>;

export const schedulingCommands = {
  // --- Set-up -------------------------------------------------------------------------------
  'scheduling.setup': command<SchedulingSetupView>()({
    input: z.strictObject({}),
    roles: BOOKING_ROLES,
    summary: 'The clinic set-up: chairs, providers, appointment types, hours, closures, policies',
    touchesPatientData: false,
  }),
  'scheduling.saveChair': command<SchedulingSetupView>()({
    input: z.strictObject({ chair: chairSchema.extend({ position }) }),
    roles: SETUP_ROLES,
    summary: 'Add, rename, reorder or retire a chair',
    touchesPatientData: false,
  }),
  'scheduling.saveProvider': command<SchedulingSetupView>()({
    input: z.strictObject({ provider: providerSchema.extend({ position }) }),
    roles: SETUP_ROLES,
    summary: 'Add or change a provider (dentist, hygienist) and their colour',
    touchesPatientData: false,
  }),
  'scheduling.saveType': command<SchedulingSetupView>()({
    input: z.strictObject({ type: appointmentTypeSchema.extend({ position }) }),
    roles: SETUP_ROLES,
    summary: 'Add or change an appointment type: length, colour, who may do it',
    touchesPatientData: false,
  }),
  'scheduling.setOpeningHours': command<SchedulingSetupView>()({
    input: z.strictObject({ openingHours: openingHoursSchema }),
    roles: SETUP_ROLES,
    summary: "The clinic's opening hours per weekday and per date",
    touchesPatientData: false,
  }),
  'scheduling.setProviderSchedule': command<SchedulingSetupView>()({
    input: z.strictObject({
      providerId: id,
      /** Null: the provider follows the clinic's hours. */
      schedule: z
        .strictObject({
          weekly: z.strictObject({
            mon: providerDaySchema.optional(),
            tue: providerDaySchema.optional(),
            wed: providerDaySchema.optional(),
            thu: providerDaySchema.optional(),
            fri: providerDaySchema.optional(),
            sat: providerDaySchema.optional(),
            sun: providerDaySchema.optional(),
          }),
          dates: z
            .array(providerDaySchema.extend({ date: bookDate }))
            .max(1000)
            .optional(),
        })
        .nullable(),
    }),
    roles: SETUP_ROLES,
    summary: "A provider's working hours and breaks per weekday and per date",
    touchesPatientData: false,
  }),
  'scheduling.setProviderDay': command<SchedulingSetupView>()({
    input: z.strictObject({
      providerId: id,
      date: bookDate,
      /** Null removes the date's own hours: the weekday's apply again. */
      day: providerDaySchema.nullable(),
    }),
    roles: CLOSURE_ROLES,
    summary: "Change a provider's hours for one date (a day off, a late start)",
    touchesPatientData: false,
  }),
  'scheduling.saveClosure': command<SchedulingSetupView>()({
    input: z.strictObject({ closure: closureSchema }),
    roles: CLOSURE_ROLES,
    summary: 'Add or change a closure or holiday (clinic, chair or provider)',
    touchesPatientData: false,
  }),
  'scheduling.removeClosure': command<SchedulingSetupView>()({
    input: z.strictObject({ id }),
    roles: CLOSURE_ROLES,
    summary: 'Remove a closure',
    touchesPatientData: false,
  }),
  'scheduling.setPolicy': command<SchedulingSetupView>()({
    input: z.strictObject({ lateCancellation: lateCancellationPolicySchema }),
    roles: SETUP_ROLES,
    summary: 'The notice a patient must give to cancel without it counting as late',
    touchesPatientData: false,
  }),

  // --- The book -----------------------------------------------------------------------------
  'appointments.range': command<BookRange>()({
    input: z.strictObject({
      from: bookDate,
      days: z.number().int().min(1).max(7).default(1),
    }),
    roles: BOOKING_ROLES,
    summary: 'The book for a day or a week: appointments with names and badges, and conflicts',
    touchesPatientData: true,
  }),
  'appointments.get': command<AppointmentDetail>()({
    input: z.strictObject({ id }),
    roles: BOOKING_ROLES,
    summary: 'One appointment with its status history and accepted conflicts',
    touchesPatientData: true,
  }),
  'appointments.forPatient': command<PatientSchedule>()({
    input: z.strictObject({ patientId: id }),
    roles: BOOKING_ROLES,
    summary: "A patient's future bookings, past appointments, recalls and waitlist entries",
    touchesPatientData: true,
  }),
  'appointments.check': command<BookingCheck>()({
    input: z.strictObject({ appointment: newAppointmentInput }),
    roles: BOOKING_ROLES,
    summary: 'The conflicts a booking or move would cause, before saving it',
    touchesPatientData: true,
  }),
  'appointments.book': command<BookAppointment>()({
    input: z.strictObject({ appointment: newAppointmentInput, override }),
    roles: BOOKING_ROLES,
    summary: 'Book an appointment; a clash is refused unless overridden with a reason',
    touchesPatientData: true,
  }),
  'appointments.update': command<BookAppointment>()({
    input: z.strictObject({ id, changes: appointmentChanges, override }),
    roles: BOOKING_ROLES,
    summary: 'Move, resize or edit an appointment; a clash needs an override with a reason',
    touchesPatientData: true,
  }),
  'appointments.setStatus': command<BookAppointment>()({
    input: z.strictObject({ id, status: z.enum(SETTABLE_STATUSES), override }),
    roles: BOOKING_ROLES,
    summary: 'Confirm, check in, seat, complete, mark as no-show or reinstate an appointment',
    touchesPatientData: true,
  }),
  'appointments.cancel': command<CancelResult>()({
    input: z.strictObject({
      id,
      reason: requiredText(300, 'A reason'),
      by: z.enum(['patient', 'clinic']),
    }),
    roles: BOOKING_ROLES,
    summary: 'Cancel with a reason; late cancellations are flagged; waitlist offers for the slot',
    touchesPatientData: true,
  }),
  'appointments.freeSlots': command<FreeSlot[]>()({
    input: freeSlotRequestSchema.refine(
      (r) => r.fromDate >= '1970-01-02' && r.fromDate <= '2199-12-30',
      { message: 'Choose a date between 1970 and 2199', path: ['fromDate'] },
    ),
    roles: BOOKING_ROLES,
    summary: 'The next free slots for a type or length, provider or chair, days and times',
    touchesPatientData: false,
  }),

  // --- Conflicts ----------------------------------------------------------------------------
  'conflicts.list': command<ConflictView[]>()({
    input: z.strictObject({
      from: bookDate,
      to: bookDate,
      includeAccepted: z.boolean().default(false),
    }),
    roles: BOOKING_ROLES,
    summary: 'The conflict inbox: double bookings and bookings outside hours, for resolution',
    touchesPatientData: true,
  }),
  'conflicts.accept': command<ConflictView>()({
    input: z.strictObject({
      conflictId: z.string().min(1).max(300),
      reason: requiredText(500, 'Reason'),
    }),
    roles: BOOKING_ROLES,
    summary: 'Accept a conflict (a double booking on purpose), with a reason',
    touchesPatientData: true,
  }),

  // --- Waitlist -----------------------------------------------------------------------------
  'waitlist.list': command<WaitlistEntryView[]>()({
    input: z.strictObject({}),
    roles: BOOKING_ROLES,
    summary: 'Patients waiting for an (earlier) appointment, ASAP first',
    touchesPatientData: true,
  }),
  'waitlist.add': command<WaitlistEntryView>()({
    input: z.strictObject({ entry: waitlistEntryInput }),
    roles: BOOKING_ROLES,
    summary: 'Put a patient on the waitlist',
    touchesPatientData: true,
  }),
  'waitlist.remove': command<null>()({
    input: z.strictObject({ id }),
    roles: BOOKING_ROLES,
    summary: 'Take a patient off the waitlist',
    touchesPatientData: true,
  }),
  'waitlist.offers': command<WaitlistOffer[]>()({
    input: z.strictObject({
      chairId: id,
      providerId: id,
      start: instantSchema,
      end: instantSchema,
    }),
    roles: BOOKING_ROLES,
    summary: 'Waitlist patients who could take a free slot',
    touchesPatientData: true,
  }),
  'waitlist.book': command<BookAppointment>()({
    input: z.strictObject({
      entryId: id,
      /** Used when the entry has no booking to bring forward. */
      appointmentId: id,
      start: instantSchema,
      chairId: id,
      providerId: id,
      typeId: id.optional(),
      override,
    }),
    roles: BOOKING_ROLES,
    summary: 'Give a free slot to a waitlist patient (new booking, or theirs brought forward)',
    touchesPatientData: true,
  }),

  // --- Recall -------------------------------------------------------------------------------
  'recalls.list': command<RecallView[]>()({
    input: z.strictObject({
      until: bookDate,
      includeBooked: z.boolean().default(false),
      limit: z.number().int().min(1).max(500).default(200),
    }),
    roles: BOOKING_ROLES,
    summary: 'Patients due or overdue for a recall, soonest due first',
    touchesPatientData: true,
  }),
  'recalls.set': command<RecallView>()({
    input: z.strictObject({
      patientId: id,
      typeId: id,
      intervalMonths: z.number().int().min(1, 'At least a month').max(60, 'At most 5 years'),
      /** Defaults to the interval after the last completed visit of this type, or from today. */
      dueDate: bookDate.optional(),
      notes: optionalText(300),
    }),
    roles: BOOKING_ROLES,
    summary: "Set a patient's recall interval for an appointment type",
    touchesPatientData: true,
  }),
  'recalls.stop': command<RecallView>()({
    input: z.strictObject({ id }),
    roles: BOOKING_ROLES,
    summary: 'Stop a recall',
    touchesPatientData: true,
  }),
} as const;
