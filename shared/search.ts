import { parseTypedDate } from './dates';
import { tokenize } from './text';

export type PatientQuery =
  | { kind: 'empty'; chart: null }
  | { kind: 'name'; tokens: string[]; chart: string | null }
  | { kind: 'phone'; digits: string; chart: string | null }
  | { kind: 'date'; date: string; chart: null };

const MAX_TOKENS = 6;

/**
 * Reads what a receptionist typed into the one search box. A date becomes a date-of-birth search;
 * a run of digits (with spaces, dashes, brackets or a leading +) a phone search, which may also be
 * a chart number; anything else name prefixes in any order. Tokens are folded like FTS5's
 * tokenizer and can only contain letters and digits, so they are safe inside an FTS5 string.
 */
export function parsePatientQuery(input: string, locale: string): PatientQuery {
  const text = input.trim().slice(0, 200);
  if (!text) return { kind: 'empty', chart: null };
  const date = parseTypedDate(text, locale);
  if (date) return { kind: 'date', date, chart: null };
  const chart = /^[A-Za-z0-9-]{1,20}$/.test(text) && /\d/.test(text) ? text : null;
  if (/^\+?[\d\s().-]+$/.test(text)) {
    // "+44 (0)20 7946 0958", as printed on letterheads: the bracketed trunk 0 is never dialled
    // after a country code, and without it the number is still found nationally.
    let digits = text.replace(/\(\s*0\s*\)/g, '').replace(/\D/g, '');
    if (text.startsWith('+')) digits = digits.replace(/^0+/, '');
    else if (digits.startsWith('00')) digits = digits.slice(2);
    if (digits.length >= 3) return { kind: 'phone', digits, chart };
    if (chart) return { kind: 'name', tokens: [], chart };
  }
  const tokens = tokenize(text).slice(0, MAX_TOKENS);
  if (tokens.length === 0) return { kind: 'empty', chart: null };
  return { kind: 'name', tokens, chart };
}
