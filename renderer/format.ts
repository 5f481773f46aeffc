/** Display formats for the clinic's locale and time zone. Invalid inputs fall back to the raw text. */

function safeLocale(locale: string | null | undefined): string | undefined {
  if (!locale) return undefined;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale])[0];
  } catch {
    return undefined;
  }
}

/** A calendar date (YYYY-MM-DD) such as a date of birth; no time zone shift. */
export function formatDate(iso: string | null, locale?: string | null): string {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(safeLocale(locale), {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(date);
}

/** A moment (ISO timestamp) in the clinic's time zone. */
export function formatDateTime(
  timestamp: string,
  locale?: string | null,
  timeZone?: string | null,
): string {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  try {
    return new Intl.DateTimeFormat(safeLocale(locale), {
      dateStyle: 'medium',
      timeStyle: 'short',
      ...(timeZone ? { timeZone } : {}),
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** The placeholder that tells staff how to type a date in this locale. */
export function datePattern(locale?: string | null): string {
  return locale === 'en-US' ? 'MM/DD/YYYY' : 'DD/MM/YYYY';
}
