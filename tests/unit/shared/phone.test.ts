import { describe, expect, it } from 'vitest';
import { formatPhone, parsePhone, phoneSearchKeys } from '../../../shared/phone';
import { parsePatientQuery } from '../../../shared/search';

describe('parsePhone', () => {
  it('reads national and international forms of the same number', () => {
    for (const typed of [
      '07911 123456',
      '07911-123-456',
      '(07911) 123456',
      '+44 7911 123456',
      '+44 (0)7911 123456',
      '0044 7911 123456',
      '+447911123456',
    ]) {
      expect(parsePhone(typed, 'GB')?.e164, typed).toBe('+447911123456');
    }
  });

  it('reads national numbers in the clinic country, whatever the letter case', () => {
    expect(parsePhone('020 7946 0958', 'GB')?.e164).toBe('+442079460958');
    expect(parsePhone('020 7946 0958', 'gb')?.e164).toBe('+442079460958');
    expect(parsePhone('01 42 68 53 00', 'FR')?.e164).toBe('+33142685300');
    expect(parsePhone('(212) 736-5000', 'US')?.e164).toBe('+12127365000');
  });

  it('reads foreign numbers given with a country code in any clinic country', () => {
    expect(parsePhone('+33 1 42 68 53 00', 'GB')?.e164).toBe('+33142685300');
    expect(parsePhone('0049 30 901820', 'GB')?.e164).toBe('+4930901820');
    expect(parsePhone('+44 20 7946 0958', 'US')?.e164).toBe('+442079460958');
  });

  it('gives national and international display forms', () => {
    expect(parsePhone('02079460958', 'GB')).toEqual({
      e164: '+442079460958',
      national: '020 7946 0958',
      international: '+44 20 7946 0958',
    });
  });

  it('refuses what is not a valid number', () => {
    for (const typed of ['', '123', 'abc', '07911', '+44', '0000 000000', "07911'; DROP--"]) {
      expect(parsePhone(typed, 'GB'), typed).toBeNull();
    }
    expect(parsePhone('07911 123456', '')).toBeNull();
    expect(parsePhone('07911 123456', 'XX')).toBeNull();
  });
});

describe('formatPhone', () => {
  it('shows numbers dialled nationally from the clinic in national form', () => {
    expect(formatPhone('+442079460958', 'GB')).toBe('020 7946 0958');
    expect(formatPhone('+447400123456', 'GB')).toBe('07400 123456');
    // 07911 is a Channel Islands range, still dialled 07911 ... from anywhere in the UK.
    expect(formatPhone('+447911123456', 'GB')).toBe('07911 123456');
    expect(formatPhone('+12127365000', 'US')).toBe('(212) 736-5000');
  });

  it('shows numbers from other countries in international form', () => {
    expect(formatPhone('+33142685300', 'GB')).toBe('+33 1 42 68 53 00');
    expect(formatPhone('+442079460958', 'US')).toBe('+44 20 7946 0958');
    expect(formatPhone('+12127365000', 'GB')).toBe('+1 212 736 5000');
  });

  it('passes through what it cannot read', () => {
    expect(formatPhone('not a number', 'GB')).toBe('not a number');
    expect(formatPhone('+447700900123', 'GB')).toBe('+447700900123');
  });
});

describe('phoneSearchKeys', () => {
  it('indexes the E.164 digits, the national number and the national dialling form', () => {
    expect(phoneSearchKeys('+447911123456').sort()).toEqual(
      ['07911123456', '447911123456', '7911123456'].sort(),
    );
    expect(phoneSearchKeys('+12127365000').sort()).toEqual(['12127365000', '2127365000'].sort());
    expect(phoneSearchKeys('+33142685300')).toContain('0142685300');
  });

  it('lets every common way of typing a number prefix-match one of its keys', () => {
    const keys = phoneSearchKeys('+447911123456');
    for (const typed of [
      '07911 123456',
      '07911 123',
      '+44 7911 123456',
      '+44 (0)7911 123456',
      '0044 7911',
      '7911 123456',
    ]) {
      const q = parsePatientQuery(typed, 'en-GB');
      expect(q.kind, typed).toBe('phone');
      if (q.kind !== 'phone') continue;
      expect(
        keys.some((k) => k.startsWith(q.digits)),
        typed,
      ).toBe(true);
    }
  });

  it('only ever holds digits', () => {
    for (const e164 of ['+447911123456', '+4930901820', 'garbage', '+1'])
      for (const key of phoneSearchKeys(e164)) expect(key).toMatch(/^\d+$/);
  });
});
