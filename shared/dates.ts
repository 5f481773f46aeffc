/** ISO calendar dates (YYYY-MM-DD) without time zones: dates of birth, validity periods. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.UTC reads years 0-99 as 1900-1999, so the year is set separately.
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y, mo - 1, d);
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Formatters by time zone: building one costs far more than using it (a record opens per click). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Today's calendar date in an IANA time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    // Only zones that exist get here (others throw above); the bound is for spelling variants.
    if (dayFormats.size >= 64) dayFormats.clear();
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Whole years between a date of birth and a given day (both ISO dates). */
export function ageOn(dateOfBirth: string, onDay: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onDay.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a date typed at the front desk: `1985-03-12`, or day-first `12/03/1985`, `12.03.1985`
 * (month-first when the locale is en-US). Returns an ISO date or null.
 */
export function parseTypedDate(input: string, locale: string): string | null {
  const s = input.trim();
  if (isIsoDate(s)) return s;
  const m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  if (!m) return null;
  const monthFirst = locale === 'en-US';
  const a = m[1]!.padStart(2, '0');
  const b = m[2]!.padStart(2, '0');
  const iso = monthFirst ? `${m[3]}-${a}-${b}` : `${m[3]}-${b}-${a}`;
  return isIsoDate(iso) ? iso : null;
}
