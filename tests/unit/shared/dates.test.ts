import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageOn, isIsoDate, isValidTimeZone, parseTypedDate, todayIn } from '../../../shared/dates';

const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('isIsoDate', () => {
  it('accepts real calendar dates, including leap days', () => {
    for (const d of ['1985-03-12', '2024-02-29', '2000-02-29', '1999-12-31', '2025-01-01'])
      expect(isIsoDate(d), d).toBe(true);
  });

  it('refuses impossible dates and other shapes', () => {
    for (const d of [
      '2023-02-30',
      '2023-02-29',
      '1900-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-04-31',
      '2024-01-00',
      '1985-3-12',
      '85-03-12',
      ' 1985-03-12',
      '1985-03-12 ',
      '1985-03-12T00:00:00Z',
      '1985/03/12',
      '１９８５-03-12',
      'NaN-NaN-NaN',
      '',
    ]) {
      expect(isIsoDate(d), JSON.stringify(d)).toBe(false);
    }
  });

  it('agrees with the calendar for every day of years 0000-9999', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(isIsoDate(iso(d))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('todayIn', () => {
  const lateEveningUtc = new Date('2024-06-30T23:30:00Z');
  it('gives the calendar date in the clinic time zone', () => {
    expect(todayIn('Europe/London', lateEveningUtc)).toBe('2024-07-01');
    expect(todayIn('UTC', lateEveningUtc)).toBe('2024-06-30');
    expect(todayIn('Asia/Tokyo', lateEveningUtc)).toBe('2024-07-01');
    expect(todayIn('America/Los_Angeles', lateEveningUtc)).toBe('2024-06-30');
    expect(todayIn('Pacific/Kiritimati', new Date('2024-06-30T09:59:00Z'))).toBe('2024-06-30');
    expect(todayIn('Pacific/Kiritimati', new Date('2024-06-30T10:00:00Z'))).toBe('2024-07-01');
  });

  it('always yields an ISO date', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.constantFrom('Europe/London', 'America/New_York', 'Australia/Sydney', 'UTC'),
        (d, tz) => {
          expect(isIsoDate(todayIn(tz, d))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('ageOn', () => {
  it('counts whole years, turning over on the birthday', () => {
    expect(ageOn('1985-03-12', '2025-03-11')).toBe(39);
    expect(ageOn('1985-03-12', '2025-03-12')).toBe(40);
    expect(ageOn('1985-03-12', '2025-12-31')).toBe(40);
    expect(ageOn('2025-03-12', '2025-03-12')).toBe(0);
  });

  it('treats a 29 February birthday as reached on 1 March in common years', () => {
    expect(ageOn('2008-02-29', '2024-02-28')).toBe(15);
    expect(ageOn('2008-02-29', '2024-02-29')).toBe(16);
    expect(ageOn('2008-02-29', '2025-02-28')).toBe(16);
    expect(ageOn('2008-02-29', '2025-03-01')).toBe(17);
  });

  it('never decreases as the day moves forward', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 1, max: 800 }),
        (birth, days, step) => {
          const on = new Date(birth.getTime() + days * 86_400_000);
          const later = new Date(on.getTime() + step * 86_400_000);
          const a = ageOn(iso(birth), iso(on));
          expect(a).toBeGreaterThanOrEqual(0);
          expect(ageOn(iso(birth), iso(later))).toBeGreaterThanOrEqual(a);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA zones and refuses anything else', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('Europe/London; DROP TABLE')).toBe(false);
  });
});

describe('parseTypedDate', () => {
  it('reads ISO dates in every locale', () => {
    expect(parseTypedDate('1985-03-12', 'en-GB')).toBe('1985-03-12');
    expect(parseTypedDate('1985-03-12', 'en-US')).toBe('1985-03-12');
  });

  it('reads day-first outside en-US and month-first in en-US', () => {
    expect(parseTypedDate('12/03/1985', 'en-GB')).toBe('1985-03-12');
    expect(parseTypedDate('12.03.1985', 'de-DE')).toBe('1985-03-12');
    expect(parseTypedDate('1-3-1985', 'fr-FR')).toBe('1985-03-01');
    expect(parseTypedDate('12/03/1985', 'en-US')).toBe('1985-12-03');
    expect(parseTypedDate('  3/12/1985  ', 'en-US')).toBe('1985-03-12');
  });

  it('returns null for impossible or partial dates', () => {
    for (const [text, locale] of [
      ['30/02/2024', 'en-GB'],
      ['02/30/2024', 'en-US'],
      ['31/12/1985', 'en-US'],
      ['12/03/85', 'en-GB'],
      ['12/03', 'en-GB'],
      ['2023-02-30', 'en-GB'],
      ['123/03/1985', 'en-GB'],
      ['12/03/1985/1', 'en-GB'],
      ['Smith', 'en-GB'],
    ] as const) {
      expect(parseTypedDate(text, locale), text).toBeNull();
    }
  });

  it('only ever returns real ISO dates', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{1,3}[./-]\d{1,3}[./-]\d{2,5}$/),
        fc.constantFrom('en-GB', 'en-US'),
        (text, locale) => {
          const parsed = parseTypedDate(text, locale);
          if (parsed !== null) expect(isIsoDate(parsed)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
