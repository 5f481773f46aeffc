import type { BookPatient } from '../../../shared/ipc/scheduling';
import type { AppointmentStatus, ProviderKind, Weekday } from '../../../shared/scheduling';
import { utcToZoned, zonedToUtc } from '../../../shared/scheduling';

export const STATUS_LABELS: Record<AppointmentStatus, string> = {
  booked: 'Booked',
  confirmed: 'Confirmed',
  arrived: 'Arrived',
  in_chair: 'In chair',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

export const PROVIDER_KIND_LABELS: Record<ProviderKind, string> = {
  dentist: 'Dentist',
  hygienist: 'Hygienist',
  other: 'Other clinician',
};

export const WEEKDAY_LABELS: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** The name staff call the patient by, then the family name: "Zo Müller". */
export function callName(p: Pick<BookPatient, 'givenNames' | 'familyName' | 'preferredName'>) {
  const first = p.preferredName || p.givenNames.split(/\s+/)[0] || p.givenNames;
  return `${first} ${p.familyName}`;
}

/** The full name for records and announcements: "Müller, Zoë (Zo)". */
export function fullName(p: Pick<BookPatient, 'givenNames' | 'familyName' | 'preferredName'>) {
  return `${p.familyName}, ${p.givenNames}${p.preferredName ? ` (${p.preferredName})` : ''}`;
}

export function initials(name: string): string {
  const words = name
    .replace(/^(Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+/i, '')
    .split(/\s+/)
    .filter(Boolean);
  return words
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
}

/** `HH:MM` on the clinic's clock. */
export function wallTime(instant: number, timeZone: string): string {
  return utcToZoned(instant, timeZone).time;
}

export function timeSpan(start: number, end: number, timeZone: string): string {
  return `${wallTime(start, timeZone)}–${wallTime(end, timeZone)}`;
}

function safeLocale(locale: string | undefined): string | undefined {
  try {
    return locale ? Intl.DateTimeFormat.supportedLocalesOf([locale])[0] : undefined;
  } catch {
    return undefined;
  }
}

/** "Tue 11 Mar 2025" for a clinic-local date. */
export function dateLabel(date: string, locale?: string, long = false): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(safeLocale(locale), {
    weekday: long ? 'long' : 'short',
    day: 'numeric',
    month: long ? 'long' : 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** "Mon 16 Nov" for a column heading. */
export function shortDateLabel(date: string, locale?: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(safeLocale(locale), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A date and time on the clinic's clock: "Tue 11 Mar 2025, 09:00". */
export function whenLabel(instant: number, timeZone: string, locale?: string): string {
  const z = utcToZoned(instant, timeZone);
  return `${dateLabel(z.date, locale)}, ${z.time}`;
}

/** The instant for a clinic-local date and `HH:MM`; null if the text is not a time. */
export function instantAt(date: string, time: string, timeZone: string): number | null {
  if (!/^\d{2}:\d{2}$/.test(time)) return null;
  try {
    return zonedToUtc(date, time, timeZone);
  } catch {
    return null;
  }
}
