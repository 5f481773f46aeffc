import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, isErrorShape } from '../../../shared/errors';
import { COMMAND_NAMES, commands, findCommand } from '../../../shared/ipc/contract';

describe('findCommand', () => {
  it('finds every declared command', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThan(0);
    for (const name of COMMAND_NAMES) expect(findCommand(name)).toBe(commands[name]);
  });

  it('never resolves inherited or non-string names', () => {
    for (const name of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
      '__defineGetter__',
      '',
      'patients.get ',
      'PATIENTS.GET',
      42,
      null,
      undefined,
      {},
      ['patients.get'],
      Symbol('patients.get'),
    ]) {
      expect(findCommand(name), String(name)).toBeUndefined();
    }
  });

  it('declares roles for every command that touches patient data', () => {
    for (const name of COMMAND_NAMES) {
      const spec = commands[name];
      if (spec.touchesPatientData) {
        expect(Array.isArray(spec.roles), name).toBe(true);
        expect(spec.roles, name).not.toContain('auditor');
      }
    }
  });
});

describe('error shapes', () => {
  it('serialises an AppError without its stack', () => {
    const e = new AppError('VALIDATION', 'Some details need attention.', [
      { path: 'familyName', message: 'Family name is required' },
    ]);
    const json = JSON.parse(JSON.stringify(e)) as unknown;
    expect(json).toEqual({
      code: 'VALIDATION',
      message: 'Some details need attention.',
      fields: [{ path: 'familyName', message: 'Family name is required' }],
    });
    expect(isErrorShape(json)).toBe(true);
    expect(AppError.from(e.toJSON()).describe()).toContain('[familyName: Family name is required]');
  });

  it('recognises only known codes', () => {
    for (const code of ERROR_CODES) expect(isErrorShape({ code, message: 'm' })).toBe(true);
    for (const bad of [
      null,
      'VALIDATION',
      { code: 'EVIL', message: 'm' },
      { code: 'VALIDATION' },
      { code: 'VALIDATION', message: 42 },
      { code: 'toString', message: 'm' },
    ]) {
      expect(isErrorShape(bad)).toBe(false);
    }
  });
});
