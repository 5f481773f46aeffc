import { describe, expect, it } from 'vitest';
import {
  checkPasswordStrength,
  MIN_PASSWORD_LENGTH,
  MIN_PASSWORD_SCORE,
} from '../../../shared/password';

describe('checkPasswordStrength', () => {
  it('refuses anything shorter than the minimum length, with a reason', () => {
    const r = checkPasswordStrength('x7#Qp!2v', []);
    expect(r).toMatchObject({ score: 0, acceptable: false });
    expect(r.warning).toContain(String(MIN_PASSWORD_LENGTH));
    expect(r.suggestions.length).toBeGreaterThan(0);
    expect(checkPasswordStrength('').acceptable).toBe(false);
  });

  it('refuses common and guessable passwords of sufficient length', () => {
    for (const pw of ['password1234', 'qwertyuiop', '1234567890', 'aaaaaaaaaaaa', 'letmein2024']) {
      const r = checkPasswordStrength(pw);
      expect(r.acceptable, pw).toBe(false);
      expect(r.score, pw).toBeLessThan(MIN_PASSWORD_SCORE);
    }
  });

  it('accepts a few unrelated words', () => {
    const r = checkPasswordStrength('correct horse battery staple');
    expect(r.acceptable).toBe(true);
    expect(r.score).toBeGreaterThanOrEqual(MIN_PASSWORD_SCORE);
  });

  it('counts the clinic and user names against the password', () => {
    const pw = 'riverside dental 2024';
    const alone = checkPasswordStrength(pw);
    const withInputs = checkPasswordStrength(pw, ['Riverside Dental', 'ada']);
    expect(withInputs.score).toBeLessThan(alone.score);
    expect(withInputs.acceptable).toBe(false);
  });

  it('judges only a bounded prefix of very long input', () => {
    const long = 'correct horse battery staple '.repeat(40_000);
    expect(checkPasswordStrength(long).acceptable).toBe(true);
  });

  it('keeps scores within 0-4 and acceptability in step with the score', () => {
    for (const pw of [
      'Tr0ub4dor&3',
      'zoë müller 1985',
      '🦷🦷🦷🦷🦷🦷🦷🦷🦷🦷',
      '\u0000'.repeat(12),
    ]) {
      const r = checkPasswordStrength(pw);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(4);
      expect(r.acceptable).toBe(r.score >= MIN_PASSWORD_SCORE && pw.length >= MIN_PASSWORD_LENGTH);
    }
  });
});
