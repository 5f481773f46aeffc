import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import {
  appendAudit,
  appendAuditAlone,
  auditHolds,
  CHECKPOINT_EVERY,
  type CommandEvent,
} from '../../electron/core/audit/append';
import { updateRecord, type Writer } from '../../electron/core/db/changes';
import type { Tx } from '../../electron/core/db/kysely';
import type { OpenStore } from '../../electron/core/store-session';
import { ADMIN, patientInput, setUpCore, tempDir, TEST_KDF } from '../support/core';

/**
 * The audit append itself: one chain whichever way events are written (prepared statements on
 * the raw handle, or Kysely), each event in the transaction of what it records, and the switch
 * that only benchmarks may use.
 */

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

function events(c: Core): Array<{ seq: number; action: string; subject_id: string | null }> {
  return c
    .openStore!.sqlite.prepare('SELECT seq, action, subject_id FROM audit_event ORDER BY seq')
    .all() as Array<{ seq: number; action: string; subject_id: string | null }>;
}

function writers(c: Core): { store: OpenStore; raw: Writer; kysely: Writer } {
  const store = c.openStore!;
  const kysely = store.writer(c.currentSession!.userId, () => new Date());
  return { store, kysely, raw: { ...kysely, sqlite: store.sqlite } };
}

describe('audit append', () => {
  it('keeps one chain across both write paths, with a checkpoint every 1000 events', async () => {
    ({ core } = await setUpCore());
    const patient = await core.call('patients.create', { patient: patientInput() });
    const { store, raw, kysely } = writers(core);
    const start = events(core).length;
    for (let i = 0; start + i < CHECKPOINT_EVERY + 10; i++) {
      if (i % 3 === 0) {
        await appendAuditAlone(store.db, store.sqlite, raw, {
          action: 'patients.get',
          subjectId: patient.id,
        });
      } else {
        await store.db.transaction().execute((tx) =>
          appendAudit(tx, i % 3 === 1 ? raw : kysely, {
            action: 'patients.search',
            fields: [`results:${i}`],
          }),
        );
      }
    }
    await core.call('patients.get', { id: patient.id });

    const verified = await core.call('audit.verify', {});
    expect(verified).toMatchObject({ ok: true, firstBroken: null });
    expect(verified.checked).toBe(events(core).length);
    const checkpoint = store.sqlite
      .prepare('SELECT seq, hash FROM audit_checkpoint WHERE seq = ?')
      .get(CHECKPOINT_EVERY);
    const event = store.sqlite
      .prepare('SELECT seq, hash FROM audit_event WHERE seq = ?')
      .get(CHECKPOINT_EVERY);
    expect(checkpoint).toEqual(event);
  });

  it('writes an event only inside a transaction of its own action', async () => {
    ({ core } = await setUpCore());
    const { store, raw } = writers(core);
    const before = events(core).length;
    await expect(
      appendAudit(store.db as unknown as Tx, raw, { action: 'patients.search' }),
    ).rejects.toThrow(/inside the transaction/);
    // A transaction left open on the handle is not joined: the read event would commit with it.
    store.sqlite.exec('BEGIN');
    try {
      await expect(
        appendAuditAlone(store.db, store.sqlite, raw, { action: 'patients.search' }),
      ).rejects.toThrow(/Another transaction/);
    } finally {
      store.sqlite.exec('ROLLBACK');
    }
    expect(events(core).length).toBe(before);
  });

  it('appends a command event with the first change it records, and only if that commits', async () => {
    ({ core } = await setUpCore());
    const patient = await core.call('patients.create', { patient: patientInput() });
    const { store, raw } = writers(core);
    const command = (): CommandEvent => ({
      entry: { action: 'patients.update', subjectId: patient.id },
      appended: null,
    });

    const rolledBack = command();
    await expect(
      store.db.transaction().execute(async (tx) => {
        await updateRecord(tx, { ...raw, command: rolledBack }, 'patient', patient.id, {
          notes: 'first',
        });
        throw new Error('cut short');
      }),
    ).rejects.toThrow('cut short');
    expect(rolledBack.appended).not.toBeNull();
    expect(await auditHolds(store.db, store.sqlite, rolledBack.appended!)).toBe(false);

    const committed = command();
    const before = events(core).length;
    await store.db.transaction().execute(async (tx) => {
      const w = { ...raw, command: committed };
      await updateRecord(tx, w, 'patient', patient.id, { notes: 'second' });
      await updateRecord(tx, w, 'patient', patient.id, { notes: 'third' });
    });
    expect(await auditHolds(store.db, store.sqlite, committed.appended!)).toBe(true);
    // Once, after the first change: the second change has its own event only.
    expect(events(core).slice(before)).toEqual([
      expect.objectContaining({ action: 'patient.update', subject_id: patient.id }),
      expect.objectContaining({
        seq: committed.appended!.seq,
        action: 'patients.update',
        subject_id: patient.id,
      }),
      expect.objectContaining({ action: 'patient.update', subject_id: patient.id }),
    ]);
  });

  it('records every audited command once, also a write that changed nothing or failed', async () => {
    ({ core } = await setUpCore());
    const patient = await core.call('patients.create', { patient: patientInput() });
    const actions = (from: number) =>
      events(core!)
        .slice(from)
        .map((e) => e.action);

    let from = events(core).length;
    await core.call('patients.update', { id: patient.id, patch: { preferredName: 'Zo' } });
    expect(actions(from)).toEqual(['patient.update', 'patients.update']);

    from = events(core).length;
    await core.call('patients.update', { id: patient.id, patch: { preferredName: 'Zo' } });
    expect(actions(from)).toEqual(['patients.update']);

    from = events(core).length;
    await expect(
      core.call('patients.update', { id: patient.id, patch: { dateOfBirth: '2999-01-01' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(actions(from)).toEqual([]);

    from = events(core).length;
    await core.call('patients.get', { id: patient.id });
    await core.call('patients.search', { query: 'zoe' });
    expect(events(core).slice(from)).toEqual([
      expect.objectContaining({ action: 'patients.get', subject_id: patient.id }),
      expect.objectContaining({ action: 'patients.search', subject_id: null }),
    ]);
    expect(await core.call('audit.verify', {})).toMatchObject({ ok: true });
  });

  it('keeps the chain whole under commands running together', async () => {
    ({ core } = await setUpCore());
    const c = core;
    const patients = [];
    for (const [givenNames, familyName] of [
      ['Ana', 'Lopes'],
      ['Ola', 'Nowak'],
      ['Zoë', 'Müller'],
    ] as const)
      patients.push(
        await c.call('patients.create', {
          patient: patientInput({ givenNames, familyName, phones: [], email: null }),
          duplicatesReviewed: true,
        }),
      );
    const before = events(c).length;
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 30; i++) {
      const p = patients[i % patients.length]!;
      calls.push(
        i % 3 === 0
          ? c.call('patients.update', { id: p.id, patch: { notes: `Note ${i}` } })
          : i % 3 === 1
            ? c.call('patients.get', { id: p.id })
            : c.call('patients.search', { query: p.familyName.slice(0, 2) }),
      );
    }
    await Promise.all(calls);
    // 10 updates (a change and the command each), 10 opens, 10 searches.
    expect(events(c).length - before).toBe(40);
    expect(await c.call('audit.verify', {})).toMatchObject({ ok: true, firstBroken: null });
  });
});

describe('the benchmark audit switch', () => {
  it('is refused on a Core not made for benchmarks', async () => {
    ({ core } = await setUpCore());
    expect(() => core!.setAuditForBenchmark(false)).toThrow(/only be switched off in benchmarks/);
    const patient = await core.call('patients.create', { patient: patientInput() });
    const before = events(core).length;
    await core.call('patients.get', { id: patient.id });
    expect(events(core).length).toBe(before + 1);
  });

  it('leaves commands unaudited while off, and the chain whole when back on', async () => {
    const dir = tempDir();
    core = new Core({ dataDir: dir, kdf: TEST_KDF, benchmarkAuditSwitch: true });
    await core.call('setup.createClinic', {
      clinic: {
        name: 'Riverside Dental',
        timeZone: 'Europe/London',
        country: 'GB',
        locale: 'en-GB',
        ageOfConsent: 16,
      },
      admin: ADMIN,
    });
    const patient = await core.call('patients.create', { patient: patientInput() });
    const before = events(core).length;

    core.setAuditForBenchmark(false);
    await core.call('patients.get', { id: patient.id });
    const updated = await core.call('patients.update', {
      id: patient.id,
      patch: { notes: 'Unaudited' },
    });
    expect(updated.notes).toBe('Unaudited');
    expect(events(core).length).toBe(before);

    core.setAuditForBenchmark(true);
    await core.call('patients.get', { id: patient.id });
    await core.call('patients.update', { id: patient.id, patch: { notes: 'Audited' } });
    expect(
      events(core)
        .slice(before)
        .map((e) => e.action),
    ).toEqual(['patients.get', 'patient.update', 'patients.update']);
    expect(await core.call('audit.verify', {})).toMatchObject({ ok: true });
  });
});
