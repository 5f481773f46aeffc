import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePatientQuery } from '../../../shared/search';

const GB = 'en-GB';
const US = 'en-US';

describe('parsePatientQuery', () => {
  it('reads names as folded prefixes in the order typed', () => {
    expect(parsePatientQuery('Zoë Müller', GB)).toEqual({
      kind: 'name',
      tokens: ['zoe', 'muller'],
      chart: null,
    });
    expect(parsePatientQuery('  MULL   zo ', GB)).toEqual({
      kind: 'name',
      tokens: ['mull', 'zo'],
      chart: null,
    });
    expect(parsePatientQuery("O'Brien-Smith, Siobhán", GB)).toEqual({
      kind: 'name',
      tokens: ['o', 'brien', 'smith', 'siobhan'],
      chart: null,
    });
    expect(parsePatientQuery('Zoe\u0308', GB)).toMatchObject({ tokens: ['zoe'] });
  });

  it('keeps at most six name tokens', () => {
    const q = parsePatientQuery('a b c d e f g h', GB);
    expect(q).toMatchObject({ kind: 'name', tokens: ['a', 'b', 'c', 'd', 'e', 'f'] });
  });

  it('treats empty input and punctuation alone as empty', () => {
    for (const text of ['', '   ', '\t\n', '"*^:()', '--', '+']) {
      expect(parsePatientQuery(text, GB), JSON.stringify(text)).toEqual({
        kind: 'empty',
        chart: null,
      });
    }
  });

  it('reads phone numbers with +, 00, spaces, dashes, dots and brackets', () => {
    const cases: Array<[string, string]> = [
      ['07911 123456', '07911123456'],
      ['07911-123-456', '07911123456'],
      ['(020) 7946.0958', '02079460958'],
      ['+44 7911 123456', '447911123456'],
      ['+44 (0)7911 123456', '447911123456'],
      ['0044 7911 123456', '447911123456'],
      ['00 44 7911 123456', '447911123456'],
      ['+1 (212) 736-5000', '12127365000'],
      ['791', '791'],
    ];
    for (const [typed, digits] of cases) {
      expect(parsePatientQuery(typed, GB), typed).toMatchObject({ kind: 'phone', digits });
    }
  });

  it('offers short digit runs as chart numbers rather than phones', () => {
    expect(parsePatientQuery('12', GB)).toEqual({ kind: 'name', tokens: [], chart: '12' });
    expect(parsePatientQuery('1001', GB)).toEqual({ kind: 'phone', digits: '1001', chart: '1001' });
  });

  it('reads chart numbers with letters and dashes', () => {
    expect(parsePatientQuery('A-1001', GB)).toEqual({
      kind: 'name',
      tokens: ['a', '1001'],
      chart: 'A-1001',
    });
    expect(parsePatientQuery('RD2024', GB)).toEqual({
      kind: 'name',
      tokens: ['rd2024'],
      chart: 'RD2024',
    });
    // Names alone are never chart numbers.
    expect(parsePatientQuery('Smith', GB)).toMatchObject({ chart: null });
    // Too long to be a chart number.
    expect(parsePatientQuery('A'.repeat(20) + '1', GB)).toMatchObject({ chart: null });
  });

  it('reads dates of birth day-first in en-GB and month-first in en-US', () => {
    expect(parsePatientQuery('12/03/1985', GB)).toEqual({
      kind: 'date',
      date: '1985-03-12',
      chart: null,
    });
    expect(parsePatientQuery('12.03.1985', GB)).toMatchObject({ date: '1985-03-12' });
    expect(parsePatientQuery('12-03-1985', GB)).toMatchObject({ date: '1985-03-12' });
    expect(parsePatientQuery('2/3/1985', GB)).toMatchObject({ date: '1985-03-02' });
    expect(parsePatientQuery('12/03/1985', US)).toMatchObject({ date: '1985-12-03' });
    expect(parsePatientQuery('03/12/1985', US)).toMatchObject({ date: '1985-03-12' });
    expect(parsePatientQuery('1985-03-12', GB)).toMatchObject({ date: '1985-03-12' });
    expect(parsePatientQuery('1985-03-12', US)).toMatchObject({ date: '1985-03-12' });
    expect(parsePatientQuery(' 29/02/2024 ', GB)).toMatchObject({ date: '2024-02-29' });
  });

  it('never turns an impossible date into a date search', () => {
    for (const [text, locale] of [
      ['2023-02-30', GB],
      ['30/02/2024', GB],
      ['29/02/2023', GB],
      ['31/12/1985', US],
      ['13/13/1985', GB],
      ['00/01/1985', GB],
    ] as const) {
      expect(parsePatientQuery(text, locale).kind, text).not.toBe('date');
    }
  });

  it('only ever yields letter-and-digit tokens and digit strings (safe inside FTS5 quotes)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.constantFrom(GB, US, 'fr-FR'),
        (text, locale) => {
          const q = parsePatientQuery(text, locale);
          if (q.kind === 'name') {
            expect(q.tokens.length).toBeLessThanOrEqual(6);
            for (const t of q.tokens) expect(t).toMatch(/^[\p{L}\p{N}]+$/u);
          }
          if (q.kind === 'phone') expect(q.digits).toMatch(/^\d{3,}$/);
          if (q.kind === 'date') expect(q.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          if (q.chart !== null) expect(q.chart).toMatch(/^[A-Za-z0-9-]{1,20}$/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
