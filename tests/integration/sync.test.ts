import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { SyncOptions } from '../../electron/core/sync/service';
import { patientInput } from '../support/core';
import {
  createClinicOn,
  dump,
  eventually,
  join,
  startLoopbackRelay,
  syncAll,
  workstation,
  type LoopbackRelay,
  verifyProblems,
  type Workstation,
} from '../support/sync';

let relay: LoopbackRelay | null = null;
const stations: Workstation[] = [];

afterEach(async () => {
  for (const s of stations.splice(0)) await s.close();
  await relay?.close();
  relay = null;
});

async function pair(sync?: SyncOptions) {
  relay = await startLoopbackRelay();
  const a = await workstation(sync ? { sync } : {});
  const b = await workstation(sync ? { sync } : {});
  stations.push(a, b);
  await createClinicOn(a.core, relay.url);
  const joined = await join(a.core, b.core, relay.url);
  expect(joined.enrolment).toBe('enrolled');
  return { a: a.core, b: b.core, url: relay.url };
}

async function names(core: Core, id: string) {
  const p = await core.call('patients.get', { id });
  return { given: p.givenNames, family: p.familyName, notes: p.notes, email: p.email };
}

describe('two workstations and a relay on loopback', () => {
  it('shows a patient registered on one on the other, found by search, with its history', async () => {
    const { a, b } = await pair();
    const created = await a.call('patients.create', { patient: patientInput() });
    await syncAll([a, b]);
    const onB = await b.call('patients.get', { id: created.id });
    expect(onB).toMatchObject({
      givenNames: 'Zoë',
      familyName: 'Müller',
      chartNumber: created.chartNumber,
      alerts: [{ kind: 'allergy', description: 'Penicillin', severity: 'high' }],
      version: created.version,
    });
    expect(onB.phones.map((p) => p.e164)).toEqual(created.phones.map((p) => p.e164));
    for (const query of ['zoe mul', 'müller', '07911 123']) {
      const found = await b.call('patients.search', { query });
      expect(
        found.items.map((i) => i.id),
        query,
      ).toEqual([created.id]);
    }
    // Who made each change travels with it.
    const history = await b.call('patients.history', { id: created.id });
    expect(history.some((h) => h.authorName === 'Ada Admin')).toBe(true);
    expect(dump(b)).toBe(dump(a));
    expect((await a.call('sync.status', {})).pending).toBe(0);
    expect((await b.call('sync.status', {})).clinicCode).toBe(
      (await a.call('sync.status', {})).clinicCode,
    );
    // The clinic row of the joiner's own set-up was replaced by the clinic's.
    expect((await b.call('app.status', {})).clinic?.id).toBe(
      (await a.call('app.status', {})).clinic?.id,
    );
  });

  it('keeps edits to different columns of the same patient made on both sides', async () => {
    const { a, b } = await pair();
    const p = await a.call('patients.create', { patient: patientInput() });
    await syncAll([a, b]);
    await a.call('patients.update', { id: p.id, patch: { notes: 'Prefers mornings' } });
    await b.call('patients.update', { id: p.id, patch: { email: 'zoe@new.example.org' } });
    await syncAll([a, b]);
    for (const core of [a, b])
      expect(await names(core, p.id)).toEqual({
        given: 'Zoë',
        family: 'Müller',
        notes: 'Prefers mornings',
        email: 'zoe@new.example.org',
      });
    expect(dump(b)).toBe(dump(a));
  });

  it('gives the same column to the later writer on both sides', async () => {
    const { a, b } = await pair();
    const p = await a.call('patients.create', { patient: patientInput() });
    await syncAll([a, b]);
    await a.call('patients.update', { id: p.id, patch: { familyName: 'Schmidt' } });
    // Later by the clock: B's edit carries the higher HLC.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await b.call('patients.update', { id: p.id, patch: { familyName: 'Weber' } });
    await syncAll([b, a]);
    expect((await names(a, p.id)).family).toBe('Weber');
    expect((await names(b, p.id)).family).toBe('Weber');
    // Search follows the merged name on both.
    for (const core of [a, b]) {
      expect((await core.call('patients.search', { query: 'weber' })).items).toHaveLength(1);
      expect((await core.call('patients.search', { query: 'schmidt' })).items).toHaveLength(0);
    }
    expect(dump(b)).toBe(dump(a));
    expect(await verifyProblems(a)).toEqual([]);
    expect(await verifyProblems(b)).toEqual([]);
  });

  it('pushes on change and pulls on the relay’s poke, without being asked', async () => {
    const { a, b } = await pair({ debounceMs: 50, pullIntervalMs: 0 });
    await eventually(async () =>
      expect((await b.call('sync.status', {})).connection).toBe('online'),
    );
    const created = await a.call('patients.create', { patient: patientInput() });
    const onB = await eventually(() => b.call('patients.get', { id: created.id }));
    expect(onB.familyName).toBe('Müller');
    await b.call('patients.update', { id: created.id, patch: { notes: 'From the chair' } });
    await eventually(async () =>
      expect((await a.call('patients.get', { id: created.id })).notes).toBe('From the chair'),
    );
    const status = await eventually(async () => {
      const s = await a.call('sync.status', {});
      expect(s.pending).toBe(0);
      expect(s.lastSyncAt).not.toBeNull();
      return s;
    });
    expect(status).toMatchObject({ connection: 'online', error: null, problems: 0 });
  });
});
