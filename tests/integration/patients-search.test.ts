import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { ServiceContext } from '../../electron/core/services/context';
import * as patients from '../../electron/core/services/patients';
import { patientInput, setUpCore } from '../support/core';

/**
 * What type-ahead and the record return, beyond matching (patients.test.ts): the badges of each
 * summary, name order, the `more` flag, and the same answers through prepared statements (Core's
 * contexts) and through Kysely (contexts without the raw handle).
 */

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

function contexts(c: Core): { prepared: ServiceContext; kysely: ServiceContext } {
  const store = c.openStore!;
  const kysely: ServiceContext = {
    db: store.db,
    writer: store.writer(c.currentSession!.userId, () => new Date()),
    clinic: store.clinic!,
    emit: () => undefined,
  };
  return { kysely, prepared: { ...kysely, sqlite: store.sqlite } };
}

describe('patient search results', () => {
  it('badges each patient with the preferred phone and the kinds of alert, once each, sorted', async () => {
    ({ core } = await setUpCore());
    const zoe = await core.call('patients.create', {
      patient: patientInput({
        phones: [
          { number: '07911 123456', type: 'home', preferred: false },
          { number: '020 7946 0958', type: 'mobile', preferred: true },
        ],
        alerts: [
          { kind: 'medication', description: 'Warfarin', severity: 'high' },
          { kind: 'allergy', description: 'Penicillin', severity: 'high' },
          { kind: 'allergy', description: 'Latex', severity: 'moderate' },
        ],
      }),
    });
    const ola = await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Ola',
        familyName: 'Mueller',
        phones: [],
        email: null,
        alerts: [],
        dateOfBirth: '1970-01-01',
      }),
      duplicatesReviewed: true,
    });
    const found = await core.call('patients.search', { query: 'mu' });
    expect(found.items.map((p) => [p.id, p.preferredPhone, p.alertKinds])).toEqual([
      [ola.id, null, []],
      [zoe.id, '+442079460958', ['allergy', 'medication']],
    ]);
    const listed = await core.call('patients.list', { offset: 0, limit: 10 });
    expect(listed.items).toEqual(found.items);
  });

  it('shows, among phones marked preferred alike, the first in the record', async () => {
    ({ core } = await setUpCore());
    const zoe = await core.call('patients.create', {
      patient: patientInput({
        phones: [
          { number: '07911 123456', type: 'mobile', preferred: true },
          { number: '020 7946 0958', type: 'home', preferred: false },
        ],
      }),
    });
    // Two workstations can each mark a different phone preferred; sync keeps both marks.
    core.openStore!.sqlite.prepare('UPDATE patient_phone SET preferred = 1').run();
    const record = await core.call('patients.get', { id: zoe.id });
    const [summary] = (await core.call('patients.search', { query: 'zoe' })).items;
    expect(summary!.preferredPhone).toBe(record.phones[0]!.e164);
  });

  it('returns `limit` of the first matches in name order and says there are more', async () => {
    ({ core } = await setUpCore());
    const ids: Record<string, string> = {};
    // Registered out of name order: the index finds them in this order.
    for (const [i, given] of ['Zeb', 'Amy', 'Bea', 'Cal'].entries()) {
      ids[given] = (
        await core.call('patients.create', {
          patient: patientInput({
            givenNames: given,
            familyName: 'Smith',
            phones: [],
            email: null,
            dateOfBirth: `1980-01-0${i + 1}`,
          }),
          duplicatesReviewed: true,
        })
      ).id;
    }
    const firstTwo = await core.call('patients.search', { query: 'smith', limit: 2 });
    // The first three found (Zeb, Amy, Bea) sorted by name; Cal was never reached.
    expect(firstTwo.items.map((p) => p.id)).toEqual([ids.Amy, ids.Bea]);
    expect(firstTwo.more).toBe(true);
    const all = await core.call('patients.search', { query: 'smith', limit: 4 });
    expect(all.items.map((p) => p.givenNames)).toEqual(['Amy', 'Bea', 'Cal', 'Zeb']);
    expect(all.more).toBe(false);
  });

  it('lists a patient found by chart number and by phone once', async () => {
    ({ core } = await setUpCore());
    const zoe = await core.call('patients.create', {
      patient: patientInput({ chartNumber: '7911', phones: [] }),
    });
    const other = await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Ola',
        familyName: 'Nowak',
        email: null,
        dateOfBirth: '1970-01-01',
        phones: [{ number: '07911 123457', type: 'mobile', preferred: true }],
      }),
    });
    const found = await core.call('patients.search', { query: '7911' });
    expect(found.items.map((p) => p.id).sort()).toEqual([zoe.id, other.id].sort());
    const archived = await core.call('patients.archive', { id: zoe.id });
    expect((await core.call('patients.search', { query: '7911' })).items).toContainEqual(
      expect.objectContaining({ id: archived.id, status: 'archived' }),
    );
  });

  it('answers the same through prepared statements and through Kysely', async () => {
    ({ core } = await setUpCore());
    const guardian = await core.call('patients.create', {
      patient: patientInput({ givenNames: 'Ola', familyName: 'Nowak', email: null, phones: [] }),
    });
    const child = await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Zoë',
        familyName: 'Nowak',
        dateOfBirth: '2015-06-01',
        guardian: { kind: 'patient', patientId: guardian.id, relationship: 'mother' },
        documents: [{ type: 'passport', number: 'X123', issuingCountry: 'GB' }],
        insurance: [
          { payer: 'Denplan', memberNumber: 'D-1', validFrom: '2024-01-01', validTo: null },
        ],
      }),
      duplicatesReviewed: true,
    });
    const { prepared, kysely } = contexts(core);
    const viaPrepared = await patients.getPatient(prepared, child.id);
    expect(viaPrepared.guardian).toMatchObject({ displayName: 'Nowak, Ola' });
    expect(viaPrepared.documents).toHaveLength(1);
    expect(await patients.getPatient(kysely, child.id)).toEqual(viaPrepared);
    for (const query of ['nowak', 'zo no', '07911', '01/06/2015', '1002', 'nobody']) {
      expect(await patients.searchPatients(kysely, query, 50), query).toEqual(
        await patients.searchPatients(prepared, query, 50),
      );
    }
    await expect(patients.getPatient(prepared, uuidv7())).rejects.toThrow(/not found/);
  });
});
