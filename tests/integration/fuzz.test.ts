import crypto from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import { ERROR_CODES, type Result } from '../../shared/errors';
import { COMMAND_NAMES, commands, type CommandName } from '../../shared/ipc/contract';
import { ADMIN, patientInput, setUpCore } from '../support/core';

/**
 * Every command, fed random and half-valid arguments while signed in, must answer with an
 * envelope; failures must be typed, carry no stack text and leave the database exactly as it was.
 */
const RUNS_PER_COMMAND = 200;

let core: Core;
let patientId = '';
let guardianId = '';

beforeAll(async () => {
  ({ core } = await setUpCore({ now: () => Date.now() + clockSkip }));
  patientId = (await core.call('patients.create', { patient: patientInput() })).id;
  guardianId = (
    await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Gita',
        familyName: 'Guardian',
        email: null,
        phones: [],
      }),
      duplicatesReviewed: true,
    })
  ).id;
});
afterAll(async () => {
  await core.close();
});

/**
 * Random 'session.changePassword' calls count as failed sign-ins and trip the throttle; the test
 * clock jumps past the lockout instead of waiting for it.
 */
let clockSkip = 0;

async function ensureSignedIn(): Promise<void> {
  for (let attempt = 0; !core.currentSession && attempt < 3; attempt++) {
    const r = await core.dispatch('session.login', {
      username: ADMIN.username,
      password: ADMIN.password,
    });
    if (!r.ok && r.error.code === 'TOO_MANY_ATTEMPTS') clockSkip += 16 * 60_000;
    else if (!r.ok) throw new Error(`sign-in failed: ${r.error.code}`);
  }
  if (!core.currentSession) throw new Error('could not sign in again');
}

/** Hash of every row of every table (FTS shadow tables and migration bookkeeping included). */
function databaseChecksum(): string {
  const sqlite = core.openStore!.sqlite;
  const hash = crypto.createHash('sha256');
  const tables = sqlite
    .prepare(`SELECT name, sql FROM sqlite_master ORDER BY type, name`)
    .all() as Array<{ name: string; sql: string | null }>;
  for (const t of tables) {
    hash.update(`${t.name}\u0000${t.sql ?? ''}\u0000`);
    if (!t.sql?.startsWith('CREATE TABLE') && !t.sql?.startsWith('CREATE VIRTUAL TABLE')) continue;
    const rows = sqlite.prepare(`SELECT * FROM "${t.name}"`).all();
    hash.update(
      JSON.stringify(rows.map((r) => JSON.stringify(r)).sort(), (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      ),
    );
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Every key any command's schema knows, found by walking the zod definitions. */
function schemaKeys(schema: unknown, out = new Set<string>(), depth = 0): Set<string> {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } } | null)?._zod?.def;
  if (!def || depth > 12) return out;
  const shape = def.shape as Record<string, unknown> | undefined;
  if (shape) {
    for (const [key, child] of Object.entries(shape)) {
      out.add(key);
      schemaKeys(child, out, depth + 1);
    }
  }
  for (const child of ['innerType', 'in', 'out', 'element', 'left', 'right', 'schema'])
    schemaKeys(def[child], out, depth + 1);
  if (Array.isArray(def.options)) for (const o of def.options) schemaKeys(o, out, depth + 1);
  return out;
}

const KNOWN_KEYS = [...new Set(COMMAND_NAMES.flatMap((n) => [...schemaKeys(commands[n].input)]))];
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'actorId',
  'userId',
  'author_id',
  'role',
  'deleted',
  'hlc',
];

/** Builds an object whose keys are own properties, `__proto__` included (as JSON.parse does). */
function ownObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

const hugeString = fc
  .tuple(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    fc.integer({ min: 1, max: 100_000 }),
  )
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const trickyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'Zo\u0000ë',
  '2023-02-30',
  '1985-13-01',
  '0000-00-00',
  '1985-03-12T00:00:00Z',
  '12/03/1985',
  '9999-12-31',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '0x1F',
  'null',
  'true',
  '__proto__',
  'constructor',
  "'; DROP TABLE patient; --",
  '" OR 1=1 --',
  'NEAR(a b)',
  '"*^:-',
  '<script>alert(1)</script>',
  '\u202eevil',
  '🦷',
  '\ud800',
  'admin',
  'practice_manager',
  '+44 7911 123456',
  '00000000-0000-0000-0000-000000000000',
  'GB',
  'Europe/London',
);

const strings = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 4, arbitrary: trickyStrings },
  { weight: 2, arbitrary: fc.uuid() },
  // Ids of records that exist, read when the value is generated (after the store is seeded).
  { weight: 2, arbitrary: fc.boolean().map((first) => (first ? patientId : guardianId)) },
  { weight: 1, arbitrary: hugeString },
);

const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 50, 200, 201, 500, 501, 2 ** 53, 1e308),
);

const keys = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'json' },
    strings,
    numbers,
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5, depthIdentifier: 'json' }),
  object: fc
    .array(fc.tuple(keys, tie('value')), { maxLength: 8, depthIdentifier: 'json' })
    .map((entries) => ownObject(entries as Array<[string, unknown]>)),
}));

/** Arguments that pass validation, so that mutating one spot reaches deeper code. */
function validArgs(name: CommandName): unknown {
  const examples: Partial<Record<CommandName, unknown>> = {
    'setup.createClinic': {
      clinic: {
        name: 'Other Dental',
        timeZone: 'Europe/London',
        country: 'GB',
        locale: 'en-GB',
        ageOfConsent: 16,
      },
      admin: { displayName: 'Eve', username: 'eve', password: 'correct horse battery staple' },
    },
    'setup.checkPassword': { password: 'correct horse battery staple', userInputs: ['Riverside'] },
    'session.login': { username: ADMIN.username, password: 'not the right password' },
    'session.recover': {
      recoveryKey: '0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000',
      username: ADMIN.username,
      newPassword: 'plum orchard lantern velvet',
    },
    'patients.search': { query: 'zoe', limit: 10 },
    'patients.list': { offset: 0, limit: 10, includeArchived: true },
    'patients.get': { id: patientId },
    'patients.history': { id: patientId },
    'patients.archive': { id: patientId },
    'patients.findDuplicates': {
      givenNames: 'Zoë',
      familyName: 'Müller',
      dateOfBirth: '1985-03-12',
      phones: ['07911 123456'],
      email: 'zoe@example.org',
      excludeId: patientId,
    },
    'patients.create': {
      patient: patientInput({
        givenNames: 'Fuzz',
        familyName: 'Minor',
        dateOfBirth: '2015-06-01',
        email: null,
        phones: [{ number: '020 7946 0958', type: 'home', preferred: true }],
        guardian: { kind: 'patient', patientId: guardianId, relationship: 'Mother' },
        documents: [{ type: 'passport', number: 'X123', issuingCountry: 'GB' }],
        insurance: [{ payer: 'Bupa', memberNumber: 'B-1', validFrom: '2024-01-01' }],
        emergencyContact: { name: 'Gita', relationship: null, phone: '020 7946 0959' },
      }),
      duplicatesReviewed: true,
    },
    'patients.update': {
      id: patientId,
      patch: { notes: 'Prefers mornings', alerts: [], preferredChannel: 'email' },
    },
  };
  return structuredClone(examples[name] ?? {});
}

/** Every path inside a value, for picking one to break. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(
  base: unknown,
  pick: number,
  how: 'set' | 'delete' | 'add',
  key: string,
  value: unknown,
): unknown {
  const all = paths(base);
  const path = all[pick % all.length]!;
  if (path.length === 0) return how === 'set' ? value : base;
  let parent = base as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (how === 'set') parent[last] = value;
  else if (how === 'delete') delete parent[last];
  else if (parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last]))
    Object.defineProperty(parent[last], key, { value, enumerable: true, writable: true });
  return base;
}

function argsFor(name: CommandName): fc.Arbitrary<unknown> {
  return fc.oneof(
    // Anything at all: wrong types at the top, nested arrays, hostile keys.
    { weight: 2, arbitrary: anyValue },
    // An object with this command's own keys (and others), holding random values.
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(keys, anyValue), { maxLength: 8 })
        .map((entries) => ownObject(entries as Array<[string, unknown]>)),
    },
    // Valid arguments with one spot changed, removed or given an extra key.
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.nat(),
          fc.constantFrom('set', 'delete', 'add') as fc.Arbitrary<'set' | 'delete' | 'add'>,
          keys,
          anyValue,
        )
        .map(([pick, how, key, value]) => mutate(validArgs(name), pick, how, key, value)),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Checks

const STACK_TEXT =
  /\n\s+at\s|\bat .*\.(ts|js|mjs|cjs):\d+|SqliteError|SQLITE_|TypeError|ReferenceError|RangeError|ZodError/;

/** Long string values from the input, which must never be echoed back in an error. */
function longStrings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 10) return out;
  if (typeof value === 'string' && value.length >= 24) out.push(value);
  else if (Array.isArray(value)) for (const v of value) longStrings(v, out, depth + 1);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) longStrings(v, out, depth + 1);
  return out;
}

function checkEnvelope(name: string, args: unknown, result: Result<unknown>): void {
  expect(typeof result).toBe('object');
  expect(typeof result.ok).toBe('boolean');
  if (result.ok) return;
  const { error } = result;
  expect(ERROR_CODES).toContain(error.code);
  // Random input must never reach an unexpected exception in a handler.
  expect(error.code, `${name}: ${error.message}`).not.toBe('INTERNAL');
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.message.length).toBeLessThan(500);
  const texts = [error.message, ...(error.fields ?? []).flatMap((f) => [f.path, f.message])];
  if (error.fields !== undefined) {
    expect(Array.isArray(error.fields)).toBe(true);
    expect(error.fields.length).toBeLessThanOrEqual(20);
    for (const f of error.fields) {
      expect(typeof f.path).toBe('string');
      expect(typeof f.message).toBe('string');
      expect(f.message.length).toBeLessThan(500);
    }
  }
  for (const text of texts) {
    expect(text).not.toMatch(STACK_TEXT);
    for (const s of longStrings(args)) expect(text.includes(s), 'input echoed').toBe(false);
  }
}

describe('fuzzing every command while signed in', () => {
  it('covers every command in the contract', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThan(0);
    for (const name of COMMAND_NAMES) expect(commands[name]).toBeDefined();
  });

  it.each(COMMAND_NAMES)('%s', async (name) => {
    await ensureSignedIn();
    let baseline = databaseChecksum();
    await fc.assert(
      fc.asyncProperty(argsFor(name), async (args) => {
        await ensureSignedIn();
        const result = await core.dispatch(name, args);
        checkEnvelope(name, args, result);
        if (result.ok) {
          // Random input that happens to be valid may change the data (a new patient, a logout):
          // such runs are the only ones excluded from the "nothing changed" check.
          await ensureSignedIn();
          baseline = databaseChecksum();
          return;
        }
        await ensureSignedIn();
        expect(databaseChecksum(), `${name} failed with ${result.error.code} but wrote`).toBe(
          baseline,
        );
      }),
      { numRuns: RUNS_PER_COMMAND },
    );
  });
});

describe('fuzzing every command while signed out', () => {
  it('answers with typed envelopes and opens nothing', async () => {
    await core.call('session.logout', {});
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...COMMAND_NAMES), anyValue, async (name, args) => {
          // Valid sign-in arguments cannot be generated: no password is in the pools.
          const result = await core.dispatch(name, args);
          checkEnvelope(name, args, result);
          if (commands[name].roles !== 'public')
            expect(result).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
          expect(core.currentSession).toBeNull();
        }),
        { numRuns: 300 },
      );
    } finally {
      await ensureSignedIn();
    }
  });

  it('never lets a command name or argument pollute prototypes', async () => {
    await ensureSignedIn();
    for (const name of COMMAND_NAMES) {
      await core.dispatch(
        name,
        JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}'),
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
