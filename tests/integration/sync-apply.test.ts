import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteRecord,
  insertRecord,
  updateRecord,
  type ReplicatedTable,
} from '../../electron/core/db/changes';
import { SCHEMA_VERSION } from '../../electron/core/db/migrations';
import { loadSyncCrypto } from '../../electron/core/sync/crypto';
import { encodeChangeBody } from '../../electron/core/sync/payload';
import { decodeHlc, encodeHlc } from '../../shared/hlc';
import { decodeBase64, encodeBase64 } from '../../shared/sync/base64';
import { sealPayload } from '../../shared/sync/crypto';
import type { MessageHeader, PulledMessage } from '../../shared/sync/protocol';
import type { Replica } from '../support/sync-replica';
import {
  asLog,
  loadReplicaCrypto,
  REPLICA_BUCKET,
  ReplicaFactory,
  STAFF_ID,
} from '../support/sync-replica';

let factory: ReplicaFactory;
const open: Replica[] = [];

beforeAll(async () => {
  await loadReplicaCrypto();
  factory = new ReplicaFactory();
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});
afterAll(() => factory.dispose());

async function replicas(n: number): Promise<Replica[]> {
  const made: Replica[] = [];
  for (let i = 0; i < n; i++) made.push(await factory.create());
  open.push(...made);
  return made;
}

async function write<T>(r: Replica, fn: (tx: Parameters<typeof insertRecord>[0]) => Promise<T>) {
  return r.store.db.transaction().execute(fn);
}

async function newPatient(r: Replica, given = 'Zoë', family = 'Müller'): Promise<string> {
  return write(r, async (tx) => {
    const { id } = await insertRecord(tx, r.writer, 'patient', {
      chart_number: '1001',
      given_names: given,
      family_name: family,
      date_of_birth: '1985-03-12',
      sex: 'female',
      status: 'active',
      name_key: '',
    });
    r.changeApplier.search.reindex(id);
    return id;
  });
}

/** An edit as a service makes it: through changes.ts, keeping search in step. */
async function edit(
  r: Replica,
  table: ReplicatedTable,
  id: string,
  patch: Record<string, string | null>,
) {
  await write(r, (tx) => updateRecord(tx, r.writer, table, id, patch));
  if (table === 'patient') r.changeApplier.search.reindex(id);
}

const changeCount = (r: Replica) =>
  r.store.sqlite.prepare('SELECT count(*) FROM change_log').pluck().get() as number;

describe('merging changes from other workstations', () => {
  it('keeps the newer value of a column whichever change arrives first', async () => {
    const [a, b, c, d] = await replicas(4);
    const id = await newPatient(a!);
    const created = asLog(await a!.send());
    await b!.deliver(created);
    await edit(a!, 'patient', id, { family_name: 'Schmidt' });
    const older = asLog(await a!.send(), 10);
    await new Promise((resolve) => setTimeout(resolve, 3));
    await edit(b!, 'patient', id, { family_name: 'Weber' });
    const newer = asLog(await b!.send(), 20);
    expect(newer[0]!.header.hlc > older[0]!.header.hlc).toBe(true);
    await c!.deliver([...created, ...newer]);
    await c!.deliver(older);
    await d!.deliver([...created, ...older]);
    await d!.deliver(newer);
    await a!.deliver(newer);
    await b!.deliver(older);
    for (const r of [a!, b!, c!, d!]) expect(r.row('patient', id)?.family_name).toBe('Weber');
    expect(new Set([a, b, c, d].map((r) => r!.dump())).size).toBe(1);
  });

  it('keeps edits to different columns from different workstations', async () => {
    const [a, b] = await replicas(2);
    const id = await newPatient(a!);
    await b!.deliver(asLog(await a!.send()));
    await edit(a!, 'patient', id, { notes: 'Prefers mornings' });
    await edit(b!, 'patient', id, { email: 'zoe@example.org' });
    const fromA = asLog(await a!.send(), 10);
    const fromB = asLog(await b!.send(), 20);
    await a!.deliver(fromB);
    await b!.deliver(fromA);
    for (const r of [a!, b!])
      expect(r.row('patient', id)).toMatchObject({
        notes: 'Prefers mornings',
        email: 'zoe@example.org',
      });
    expect(b!.dump()).toBe(a!.dump());
  });

  it('holds an update that arrives before its row, and builds the row when the insert comes', async () => {
    const [a, b] = await replicas(2);
    const id = await newPatient(a!, 'Ana', 'Silva');
    await edit(a!, 'patient', id, { notes: 'Second visit', given_names: 'Anna' });
    const [insert, update] = asLog(await a!.send());
    await b!.deliver([update!]);
    expect(b!.row('patient', id)).toBeUndefined();
    await b!.deliver([insert!]);
    expect(b!.row('patient', id)).toMatchObject({ given_names: 'Anna', notes: 'Second visit' });
    expect(b!.dump()).toBe(a!.dump());
  });

  it('changes nothing when a page is applied again', async () => {
    const [a, b] = await replicas(2);
    const id = await newPatient(a!);
    await edit(a!, 'patient', id, { notes: 'Anxious' });
    const log = asLog(await a!.send());
    await b!.deliver(log);
    const before = { dump: b!.dump(), changes: changeCount(b!) };
    const audit = b!.store.sqlite.prepare('SELECT count(*) FROM audit_event').pluck();
    const events = audit.get();
    const opened = await b!.deliver([...log, ...log]);
    expect(opened.every((o) => o.hold === null)).toBe(true);
    expect({ dump: b!.dump(), changes: changeCount(b!) }).toEqual(before);
    expect(audit.get()).toBe(events);
  });

  it('never overwrites rows of insert-only tables', async () => {
    const [a, b] = await replicas(2);
    const { id } = await write(a!, (tx) =>
      insertRecord(tx, a!.writer, 'conflict_acknowledgement', {
        conflict_id: 'chair:x:y',
        appointment_id: 'x',
        other_appointment_id: 'y',
        reason: 'Siblings together',
        acknowledged_by: null,
        acknowledged_at: 1,
      }),
    );
    const inserted = asLog(await a!.send());
    // A misbehaving workstation edits the row afterwards.
    await edit(a!, 'conflict_acknowledgement', id, { reason: 'Changed later' });
    const edited = asLog(await a!.send(), 10);
    await b!.deliver([...inserted, ...edited]);
    expect(b!.row('conflict_acknowledgement', id)?.reason).toBe('Siblings together');
  });

  it('merges a tombstone like a column: a concurrent edit neither revives nor loses', async () => {
    const [a, b] = await replicas(2);
    const patient = await newPatient(a!);
    const { id: phone } = await write(a!, (tx) =>
      insertRecord(tx, a!.writer, 'patient_phone', {
        patient_id: patient,
        e164: '+447911123456',
        type: 'mobile',
        preferred: 1,
      }),
    );
    await b!.deliver(asLog(await a!.send()));
    await write(a!, (tx) => deleteRecord(tx, a!.writer, 'patient_phone', phone));
    await edit(b!, 'patient_phone', phone, { e164: '+442079460958' });
    const fromA = asLog(await a!.send(), 10);
    const fromB = asLog(await b!.send(), 20);
    await a!.deliver(fromB);
    await b!.deliver(fromA);
    for (const r of [a!, b!])
      expect(r.row('patient_phone', phone)).toMatchObject({ deleted: 1, e164: '+442079460958' });
    expect(b!.dump()).toBe(a!.dump());
  });
});

describe('a shred', () => {
  it('removes the patient, their sub-records, change records and search row everywhere', async () => {
    const [a, b] = await replicas(2);
    const { crypto } = await loadSyncCrypto();
    const gone = await newPatient(a!, 'Erased', 'Person');
    const kept = await newPatient(a!, 'Kept', 'Person');
    await write(a!, (tx) =>
      insertRecord(tx, a!.writer, 'patient_phone', {
        patient_id: gone,
        e164: '+447911123456',
        type: 'mobile',
        preferred: 1,
      }),
    );
    await b!.deliver(asLog(await a!.send()));
    expect(b!.row('patient', gone)).toBeDefined();
    const header: MessageHeader = {
      v: 1,
      bucket: REPLICA_BUCKET,
      device: a!.store.clock.node,
      deviceSeq: 99,
      hlc: a!.store.clock.now(),
      table: 'patient',
      rowId: gone,
      subject: gone,
      op: 'shred',
      schema: SCHEMA_VERSION,
      keyId: 'k1',
    };
    const payload = sealPayload(
      crypto,
      header,
      encodeChangeBody({ author: null, insert: false, columns: {} }),
      a!.clinicKey,
    );
    await b!.deliver([{ serverSeq: 100, header, payload }]);
    const sqlite = b!.store.sqlite;
    expect(b!.row('patient', gone)).toBeUndefined();
    expect(
      sqlite.prepare('SELECT count(*) FROM patient_phone WHERE patient_id = ?').pluck().get(gone),
    ).toBe(0);
    expect(
      sqlite.prepare('SELECT count(*) FROM change_log WHERE subject_id = ?').pluck().get(gone),
    ).toBe(0);
    expect(
      sqlite
        .prepare('SELECT count(*) FROM patient_search_key WHERE patient_id = ?')
        .pluck()
        .get(gone),
    ).toBe(0);
    expect(b!.row('patient', kept)).toBeDefined();
  });
});

describe('changes that are not applied', () => {
  it('holds a change stamped more than 5 minutes ahead, poisons no clock, and applies it in time', async () => {
    let now = Date.UTC(2026, 0, 5, 9);
    const [a, b] = await replicas(2);
    await a!.restart(() => now + 10 * 60_000);
    await b!.restart(() => now);
    const id = await newPatient(a!);
    const log = asLog(await a!.send());
    const opened = await b!.deliver(log);
    expect(opened.every((o) => o.hold === null)).toBe(true);
    expect(b!.row('patient', id)).toBeUndefined();
    const held = b!.store.sqlite.prepare('SELECT reason FROM sync_held').pluck().all() as string[];
    expect(held).toEqual(log.map(() => 'clock'));
    const clock = b!.store.sqlite.prepare('SELECT last FROM hlc_state').pluck().get() as string;
    expect(decodeHlc(clock).millis).toBeLessThanOrEqual(now);
    expect(decodeHlc(b!.store.clock.lastIssued).millis).toBeLessThanOrEqual(now);
    // Six minutes on, the change is only four minutes ahead: within the allowance.
    now += 6 * 60_000;
    await b!.deliver(log);
    expect(b!.row('patient', id)).toMatchObject({ given_names: 'Zoë' });
  });

  it('refuses a payload with a flipped bit, and payloads swapped between headers', async () => {
    const [a, b] = await replicas(2);
    const first = await newPatient(a!, 'Ana', 'Silva');
    const second = await newPatient(a!, 'Li', 'Ng');
    const [m1, m2] = asLog(await a!.send());
    const bytes = decodeBase64(m1!.payload);
    bytes[bytes.length - 5]! ^= 0x01;
    const flipped: PulledMessage = { ...m1!, payload: encodeBase64(bytes) };
    const swapped: PulledMessage[] = [
      { ...m1!, serverSeq: 11, payload: m2!.payload },
      { ...m2!, serverSeq: 12, payload: m1!.payload },
    ];
    const opened = await b!.deliver([flipped, ...swapped]);
    expect(opened.map((o) => o.hold)).toEqual(['altered', 'altered', 'altered']);
    expect(b!.row('patient', first)).toBeUndefined();
    expect(b!.row('patient', second)).toBeUndefined();
    expect(changeCount(b!)).toBe(0);
  });

  it('holds a change from a newer schema and applies it once this one is as new', async () => {
    const [a, b] = await replicas(2);
    const { crypto } = await loadSyncCrypto();
    const rowId = '01934d5e-0000-7000-8000-0000000000c9';
    const header: MessageHeader = {
      v: 1,
      bucket: REPLICA_BUCKET,
      device: a!.store.clock.node,
      deviceSeq: 1,
      hlc: encodeHlc({ millis: Date.now(), counter: 0, node: a!.store.clock.node }),
      table: 'chair',
      rowId,
      subject: null,
      op: 'upsert',
      schema: SCHEMA_VERSION + 1,
      keyId: 'k1',
    };
    const payload = sealPayload(
      crypto,
      header,
      encodeChangeBody({
        author: null,
        insert: true,
        columns: { name: 'Chair 9', position: 9, active: 1, colour_of_the_future: 'teal' },
      }),
      a!.clinicKey,
    );
    const message: PulledMessage = { serverSeq: 1, header, payload };
    const opened = await b!.deliver([message]);
    expect(opened[0]?.hold).toBe('schema');
    expect(b!.row('chair', rowId)).toBeUndefined();
    // After an upgrade the same message opens and applies; columns this version does not know
    // (the test's stand-in for the newer schema's) are left out.
    const upgraded = await b!.deliver([message], { schema: SCHEMA_VERSION + 1 });
    expect(upgraded[0]?.hold).toBeNull();
    expect(b!.row('chair', rowId)).toMatchObject({ name: 'Chair 9', position: 9, active: 1 });
  });
});

describe('applying a page in slices', () => {
  it('ends as if applied once when a page is cut short after any slice and applied again whole', async () => {
    const [a, once] = await replicas(2);
    const ids: string[] = [];
    for (const [given, family] of [
      ['Ana', 'Silva'],
      ['Li', 'Ng'],
      ['Zoë', 'Müller'],
    ] as const)
      ids.push(await newPatient(a!, given, family));
    for (const [i, id] of ids.entries()) {
      await write(a!, (tx) =>
        insertRecord(tx, a!.writer, 'patient_phone', {
          patient_id: id,
          e164: `+4479111234${50 + i}`,
          type: 'mobile',
          preferred: 1,
        }),
      );
      await edit(a!, 'patient', id, { notes: `Visit ${i}` });
    }
    const log = asLog(await a!.send());
    await once!.deliver(log);
    for (const cut of [1, Math.floor(log.length / 2), log.length - 1]) {
      const [cutShort] = await replicas(1);
      // The engine applies a page slice by slice; a crash after a slice repeats the whole page.
      await cutShort!.deliver(log.slice(0, cut));
      const opened = await cutShort!.deliver(log);
      expect(opened.every((o) => o.hold === null)).toBe(true);
      expect(cutShort!.dump()).toBe(once!.dump());
      expect(changeCount(cutShort!)).toBe(changeCount(once!));
    }
  });
});

describe('the audit trail of changes that arrive', () => {
  it('names who made them, which fields of which table, and the row when there is one', async () => {
    const [a, b] = await replicas(2);
    const id = await newPatient(a!);
    await b!.deliver(asLog(await a!.send()));
    await edit(a!, 'patient', id, { notes: 'Prefers mornings', email: 'zoe@example.org' });
    await b!.deliver(asLog(await a!.send(), 10));
    const events = b!.store.sqlite
      .prepare(
        `SELECT actor_id, subject_id, target_table, target_id, fields FROM audit_event
         WHERE action = 'sync.received' ORDER BY seq`,
      )
      .all() as Array<Record<string, string | null>>;
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({
      actor_id: STAFF_ID,
      subject_id: id,
      target_table: 'patient',
      target_id: id,
      fields: JSON.stringify(['patient.email', 'patient.notes']),
    });
    // The first delivery was the whole record: every field it wrote is named, never a value.
    expect(JSON.parse(events[0]!.fields!)).toEqual(
      expect.arrayContaining(['patient.family_name', 'patient.given_names']),
    );
    expect(events[0]!.fields).not.toContain('Müller');
  });

  it('groups rows of one patient by author, without naming a single row', async () => {
    const [a, b] = await replicas(2);
    const id = await newPatient(a!);
    await write(a!, async (tx) => {
      for (const e164 of ['+447911123456', '+442079460958'])
        await insertRecord(tx, a!.writer, 'patient_phone', {
          patient_id: id,
          e164,
          type: 'mobile',
          preferred: 0,
        });
    });
    await b!.deliver(asLog(await a!.send()));
    const event = b!.store.sqlite
      .prepare(
        `SELECT actor_id, target_table, target_id, fields FROM audit_event
         WHERE action = 'sync.received' AND subject_id = ?`,
      )
      .all(id) as Array<Record<string, string | null>>;
    expect(event).toHaveLength(1);
    expect(event[0]).toMatchObject({ actor_id: STAFF_ID, target_table: null, target_id: null });
    expect(JSON.parse(event[0]!.fields!)).toEqual(
      expect.arrayContaining(['patient.given_names', 'patient_phone.e164']),
    );
  });
});
