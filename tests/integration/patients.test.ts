import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import { patientInput, setUpCore } from '../support/core';

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

describe('patient registry', () => {
  it('registers, finds by folded name prefixes in any order, phone, birth date and chart number', async () => {
    ({ core } = await setUpCore());
    const created = await core.call('patients.create', { patient: patientInput() });
    expect(created.phones[0]!.e164).toBe('+447911123456');
    expect(created.chartNumber).toBe('1001');
    for (const q of [
      'zoe mull',
      'MULL zo',
      'müller',
      '07911 123',
      '+44 7911 123456',
      '12/03/1985',
      '1985-03-12',
      '1001',
    ]) {
      const r = await core.call('patients.search', { query: q });
      expect(
        r.items.map((p) => p.id),
        q,
      ).toEqual([created.id]);
    }
    expect((await core.call('patients.search', { query: 'zoey' })).items).toEqual([]);
  });

  it('warns about duplicates before saving and keeps field history', async () => {
    ({ core } = await setUpCore());
    const first = await core.call('patients.create', { patient: patientInput() });
    await expect(
      core.call('patients.create', { patient: patientInput({ email: null, phones: [] }) }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const dupes = await core.call('patients.findDuplicates', {
      givenNames: 'Zoe',
      familyName: 'muller',
      dateOfBirth: '1985-03-12',
      phones: [],
    });
    expect(dupes.map((d) => d.patient.id)).toEqual([first.id]);
    const updated = await core.call('patients.update', {
      id: first.id,
      patch: {
        phones: [
          { id: first.phones[0]!.id, number: '+44 20 7946 0958', type: 'mobile', preferred: true },
        ],
      },
    });
    expect(updated.phones[0]!.e164).toBe('+442079460958');
    const history = await core.call('patients.history', { id: first.id });
    expect(history.filter((h) => h.field === 'patient_phone.e164').map((h) => h.value)).toEqual([
      '+442079460958',
      '+447911123456',
    ]);
  });
});
