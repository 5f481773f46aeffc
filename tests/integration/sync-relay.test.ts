import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeHlc } from '../../shared/hlc';
import { patientInput } from '../support/core';
import {
  createClinicOn,
  dump,
  join,
  startLoopbackRelay,
  syncAll,
  verifyProblems,
  workstation,
  type LoopbackRelay,
  type Workstation,
} from '../support/sync';
import { postgresUrl, withPostgres } from './server/support';

let relay: (LoopbackRelay & { schema: string | null }) | null = null;
const stations: Workstation[] = [];

afterEach(async () => {
  for (const s of stations.splice(0)) await s.close();
  await relay?.close();
  relay = null;
});

async function station(now?: () => number): Promise<Workstation> {
  const s = await workstation(now ? { now } : {});
  stations.push(s);
  return s;
}

const MINUTE = 60_000;

describe('clock skew', () => {
  it('refuses a workstation 10 minutes ahead in words, poisons nobody, and takes its changes when they are due', async () => {
    let now = Date.UTC(2026, 0, 5, 9);
    relay = await startLoopbackRelay({ now: () => now });
    const ahead = await station(() => now + 10 * MINUTE);
    const b = await station(() => now);
    const behind = await station(() => now - 10 * MINUTE);
    const patient = await ahead.core.call('patients.create', { patient: patientInput() });
    await createClinicOn(ahead.core, relay.url);
    const status = await ahead.core.call('sync.now', {});
    expect(status.error).toMatch(/10\.0 minutes ahead of the relay's clock/);
    expect(status.error).toMatch(/clock is 10 minute\(s\) ahead of the relay's/);
    expect(status.pending).toBeGreaterThan(0);
    const refused = await ahead.core.call('sync.rejected', {});
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.direction === 'outgoing' && r.code === 'CLOCK_SKEW')).toBe(true);
    expect(refused.every((r) => r.retrying)).toBe(true);

    await join(ahead.core, b.core, relay.url);
    await join(ahead.core, behind.core, relay.url);
    await syncAll([ahead.core, b.core, behind.core]);
    // Nothing of the skewed workstation reached the log, and no clock was dragged forward.
    expect(await relay.relay.store.db.selectFrom('message').selectAll().execute()).toEqual([]);
    for (const s of [b, behind]) {
      const last = s.core.openStore!.sqlite.prepare('SELECT last FROM hlc_state').pluck().get();
      expect(decodeHlc(last as string).millis).toBeLessThanOrEqual(now);
      await expect(s.core.call('patients.get', { id: patient.id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }

    // Six minutes on, those changes are only four minutes ahead: within the allowance.
    now += 6 * MINUTE;
    await syncAll([ahead.core, b.core, behind.core]);
    expect((await b.core.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect((await ahead.core.call('sync.rejected', {})).length).toBe(0);
    // A workstation whose clock is behind still converges: its edit comes after what it saw.
    await behind.core.call('patients.update', { id: patient.id, patch: { notes: 'From behind' } });
    await syncAll([behind.core, ahead.core, b.core]);
    for (const s of [ahead, b, behind]) {
      expect((await s.core.call('patients.get', { id: patient.id })).notes).toBe('From behind');
      expect(await verifyProblems(s.core)).toEqual([]);
    }
    expect(dump(b.core)).toBe(dump(ahead.core));
    expect(dump(behind.core)).toBe(dump(ahead.core));
  });
});

describe('tampering and revocation', () => {
  it('refuses a message altered on the relay and payloads swapped between headers: nothing of them is applied', async () => {
    relay = await startLoopbackRelay();
    const a = await station();
    const b = await station();
    await createClinicOn(a.core, relay.url);
    await join(a.core, b.core, relay.url);
    const kept = await a.core.call('patients.create', {
      patient: patientInput({ givenNames: 'Kept', familyName: 'Intact', phones: [], alerts: [] }),
    });
    const flipped = await a.core.call('patients.create', {
      patient: patientInput({ givenNames: 'Flip', familyName: 'Bit', phones: [], alerts: [] }),
      duplicatesReviewed: true,
    });
    const [first, second] = await Promise.all(
      ['Swap', 'Over'].map((name) =>
        a.core.call('patients.create', {
          patient: patientInput({ givenNames: name, familyName: name, phones: [], alerts: [] }),
          duplicatesReviewed: true,
        }),
      ),
    );
    await a.core.call('sync.now', {});
    const sqlite = relay.relay.store.sqlite!;
    const payloadOf = (rowId: string) =>
      sqlite
        .prepare(
          `SELECT server_seq, payload FROM message WHERE row_id = ? AND table_name = 'patient'`,
        )
        .get(rowId) as { server_seq: number; payload: Buffer };
    const bit = payloadOf(flipped.id);
    const bytes = Buffer.from(bit.payload);
    bytes[bytes.length - 3]! ^= 0x10;
    sqlite
      .prepare('UPDATE message SET payload = ? WHERE server_seq = ?')
      .run(bytes, bit.server_seq);
    const x = payloadOf(first!.id);
    const y = payloadOf(second!.id);
    sqlite
      .prepare('UPDATE message SET payload = ? WHERE server_seq = ?')
      .run(y.payload, x.server_seq);
    sqlite
      .prepare('UPDATE message SET payload = ? WHERE server_seq = ?')
      .run(x.payload, y.server_seq);

    await b.core.call('sync.now', {});
    expect((await b.core.call('patients.get', { id: kept.id })).familyName).toBe('Intact');
    for (const id of [flipped.id, first!.id, second!.id])
      await expect(b.core.call('patients.get', { id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    const held = await b.core.call('sync.rejected', {});
    expect(held.map((h) => [h.direction, h.code, h.retrying]).sort()).toEqual([
      ['incoming', 'ALTERED', false],
      ['incoming', 'ALTERED', false],
      ['incoming', 'ALTERED', false],
    ]);
    const status = await b.core.call('sync.status', {});
    expect(status.problems).toBe(3);
    expect(status.error).toMatch(/3 change\(s\) from other workstations are held back/);
    expect(await verifyProblems(b.core)).toEqual([]);
    // Nothing was recorded for the refused rows.
    const recorded = b.core
      .openStore!.sqlite.prepare('SELECT count(*) FROM change_log WHERE row_id IN (?, ?, ?)')
      .pluck()
      .get(flipped.id, first!.id, second!.id);
    expect(recorded).toBe(0);
  });

  it('stops a revoked workstation at the relay, and it says so', async () => {
    relay = await startLoopbackRelay();
    const a = await station();
    const b = await station();
    await createClinicOn(a.core, relay.url);
    await join(a.core, b.core, relay.url);
    const devices = await a.core.call('sync.devices', {});
    expect(devices.map((d) => [d.name, d.status, d.thisDevice]).sort()).toEqual([
      ['Chair 2', 'active', false],
      ['Front desk', 'active', true],
    ]);
    const other = devices.find((d) => !d.thisDevice)!;
    await expect(
      a.core.call('sync.revokeDevice', { id: devices.find((d) => d.thisDevice)!.id }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await a.core.call('sync.revokeDevice', { id: other.id })).toMatchObject({
      status: 'revoked',
    });
    const patient = await b.core.call('patients.create', { patient: patientInput() });
    const status = await b.core.call('sync.now', {});
    expect(status.enrolment).toBe('revoked');
    expect(status.error).toMatch(/revoked/);
    await a.core.call('sync.now', {});
    await expect(a.core.call('patients.get', { id: patient.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('approves only with the fingerprint shown on the new workstation', async () => {
    relay = await startLoopbackRelay();
    const a = await station();
    const b = await station();
    await createClinicOn(a.core, relay.url);
    const clinicCode = (await a.core.call('sync.status', {})).clinicCode!;
    const shown = await b.core.call('sync.startJoin', {
      relayUrl: relay.url,
      clinicCode,
      deviceName: 'Chair 3',
    });
    expect(shown.code).toMatch(/^[0-9A-Z]{12}$/);
    expect(shown.fingerprint).toMatch(/^([0-9A-F]{4} ){7}[0-9A-F]{4}$/);
    expect((await b.core.call('sync.status', {})).join).toMatchObject({ code: shown.code });
    // Typed by a person: lower case and spaces are fine.
    const [seen] = await a.core.call('sync.pendingJoins', {
      code: shown.code.toLowerCase().replace(/(....)/g, '$1 '),
    });
    expect(seen).toMatchObject({ deviceName: 'Chair 3', status: 'pending' });
    expect(seen!.fingerprint).toBe(shown.fingerprint);
    const wrong = shown.fingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(
      a.core.call('sync.approveJoin', { code: shown.code, fingerprint: wrong }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await b.core.call('sync.joinResult', {})).enrolment).toBe('joining');
    await a.core.call('sync.approveJoin', { code: shown.code, fingerprint: shown.fingerprint });
    expect((await b.core.call('sync.joinResult', {})).enrolment).toBe('enrolled');
    // A receptionist cannot enrol or revoke workstations.
    await a.core.call('staff.add', {
      displayName: 'Rita Reception',
      username: 'rita',
      role: 'receptionist',
      password: 'plum orchard lantern velvet',
    });
    await a.core.call('session.logout', {});
    await a.core.call('session.login', {
      username: 'rita',
      password: 'plum orchard lantern velvet',
    });
    for (const name of ['sync.devices', 'sync.approveJoin', 'sync.revokeDevice'] as const)
      expect(await a.core.dispatch(name, {})).toMatchObject({
        ok: false,
        error: { code: 'NOT_ALLOWED' },
      });
    expect((await a.core.call('sync.status', {})).enrolment).toBe('enrolled');
  });
});

/** Every byte string a store could leak a name, phone or note through. */
const SECRETS = ['Quintessa', 'Vandermolen', '7911123999', 'Allergic to latex gloves'];

function containsAny(haystack: Buffer): string[] {
  const found: string[] = [];
  for (const s of SECRETS)
    for (const encoding of ['utf8', 'utf16le'] as const)
      if (haystack.includes(Buffer.from(s, encoding))) found.push(`${s} (${encoding})`);
  return found;
}

async function seedAndSync(url: string): Promise<void> {
  const a = await station();
  const b = await station();
  await createClinicOn(a.core, url);
  await join(a.core, b.core, url);
  const p = await a.core.call('patients.create', {
    patient: patientInput({
      givenNames: 'Quintessa',
      familyName: 'Vandermolen',
      phones: [{ number: '07911 123999', type: 'mobile', preferred: true }],
      notes: 'Allergic to latex gloves',
    }),
  });
  await syncAll([a.core, b.core]);
  // The data did travel: the other workstation shows it.
  expect((await b.core.call('patients.get', { id: p.id })).notes).toBe('Allergic to latex gloves');
}

describe('the relay never holds plaintext', () => {
  it('on SQLite: no seeded name, phone or note anywhere in its files', async () => {
    relay = await startLoopbackRelay();
    await seedAndSync(relay.url);
    const files = [relay.file, `${relay.file}-wal`].filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    expect(bytes.length).toBeGreaterThan(0);
    expect(containsAny(bytes)).toEqual([]);
    // The check can see plaintext: the ids it routes by are there in the clear.
    const clinic = relay.relay.store
      .sqlite!.prepare('SELECT id FROM clinic')
      .pluck()
      .get() as string;
    expect(bytes.includes(Buffer.from(clinic))).toBe(true);
  });

  it('on Postgres: no seeded name, phone or note in any table', async () => {
    const url = postgresUrl();
    relay = await startLoopbackRelay({ postgres: { url } });
    await seedAndSync(relay.url);
    const schema = relay.schema!;
    const dumped = await withPostgres(url, async (client) => {
      const tables = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      const parts: Buffer[] = [];
      for (const { table_name } of tables.rows) {
        const rows = await client.query(`SELECT * FROM ${schema}."${table_name}"`);
        for (const row of rows.rows as Array<Record<string, unknown>>)
          for (const value of Object.values(row))
            parts.push(Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
      }
      return Buffer.concat(parts);
    });
    expect(dumped.length).toBeGreaterThan(1000);
    expect(containsAny(dumped)).toEqual([]);
  });
});
