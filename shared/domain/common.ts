import { z } from 'zod';
import { isIsoDate } from '../dates';
import { stripControl } from '../text';

/**
 * A lone UTF-16 surrogate (half an emoji, from a bad paste) cannot be stored as UTF-8: SQLite
 * would silently keep U+FFFD instead, so such text is refused rather than altered.
 */
const wellFormed = (s: string | null | undefined) => s == null || !/\p{Cs}/u.test(s);
const BROKEN_CHARACTER = 'Contains a broken character; please retype it';

/** Free text typed by staff: trimmed, no control characters, bounded. */
export const text = (max: number) =>
  z
    .string()
    .max(max * 4, `Must be at most ${max} characters`)
    .refine(wellFormed, BROKEN_CHARACTER)
    .transform((s) => stripControl(s).trim())
    .pipe(z.string().max(max, `Must be at most ${max} characters`));

/** Optional free text: empty input becomes null. */
export const optionalText = (max: number) =>
  z
    .union([z.string(), z.null()])
    .optional()
    .refine(wellFormed, BROKEN_CHARACTER)
    .transform((s) => (s == null ? null : stripControl(s).trim() || null))
    .pipe(z.string().max(max, `Must be at most ${max} characters`).nullable());

export const requiredText = (max: number, label: string) =>
  text(max).pipe(z.string().min(1, `${label} is required`));

export const isoDate = z.string().max(10).refine(isIsoDate, 'Enter a real date as YYYY-MM-DD');

export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'Use a two-letter country code, e.g. GB');

export const id = z.uuid({ message: 'Not a valid record id' });
