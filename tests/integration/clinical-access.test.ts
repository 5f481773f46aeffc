import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { Patient } from '../../shared/domain/patient';
import type { StaffInput } from '../../shared/ipc/staff';
import { ADMIN, patientInput, setUpCore } from '../support/core';

/** The least-privilege rule for clinical details, and emergency access, through `dispatch`. */

const RECEPTION: StaffInput = {
  displayName: 'Rita Reception',
  username: 'rita',
  role: 'receptionist',
  password: 'teapot glacier mosaic ribbon',
};
const RECEPTION_2: StaffInput = {
  displayName: 'Rob Reception',
  username: 'rob',
  role: 'receptionist',
  password: 'harbour violet candle maple',
};
const DENTIST: StaffInput = {
  displayName: 'Dr Dan Dent',
  username: 'dan',
  role: 'clinician',
  password: 'walrus lantern pebble orchard',
};
const AUDITOR: StaffInput = {
  displayName: 'Ann Auditor',
  username: 'ann',
  role: 'auditor',
  password: 'saddle crimson otter galaxy',
};

const START = Date.parse('2025-03-11T09:00:00Z');
const MINUTE = 60_000;
const REASON = 'Patient collapsed in the waiting room, need the medication list';

let core: Core;
let clock: number;
let zoe: Patient;
let omar: Patient;

async function signInAs(who: { username: string; password: string }): Promise<void> {
  if (core.currentSession) await core.call('session.logout', {});
  await core.call('session.login', { username: who.username, password: who.password });
}

function auditRows(): Array<Record<string, unknown>> {
  return core.openStore!.sqlite.prepare('SELECT * FROM audit_event ORDER BY seq').all() as Array<
    Record<string, unknown>
  >;
}

beforeEach(async () => {
  clock = START;
  ({ core } = await setUpCore({ now: () => clock }));
  for (const s of [RECEPTION, RECEPTION_2, DENTIST, AUDITOR]) await core.call('staff.add', s);
  zoe = await core.call('patients.create', {
    patient: patientInput({
      alerts: [
        { kind: 'allergy', description: 'Penicillin', severity: 'high' },
        { kind: 'medication', description: 'Warfarin 5 mg', severity: 'moderate' },
      ],
      notes: 'Anxious about injections; history of fainting',
    }),
  });
  omar = await core.call('patients.create', {
    patient: patientInput({
      givenNames: 'Omar',
      familyName: 'Haddad',
      dateOfBirth: '1970-01-02',
      phones: [{ number: '07911 222333', type: 'mobile', preferred: true }],
      email: null,
      alerts: [{ kind: 'condition', description: 'Diabetes type 2', severity: 'low' }],
      notes: 'Bleeds easily',
    }),
  });
  // An edit, so the history has clinical and non-clinical changes after the registration.
  await core.call('patients.update', {
    id: zoe.id,
    patch: {
      preferredName: 'Zo',
      alerts: [
        { ...zoe.alerts[0]!, description: 'Penicillin and amoxicillin' },
        { ...zoe.alerts[1]! },
      ],
    },
  });
});

afterEach(async () => {
  await core.close();
});

describe('reception sees alert badges but not clinical details', () => {
  it('opens the record with the badges, without alert descriptions or notes', async () => {
    await signInAs(RECEPTION);
    const seen = await core.call('patients.get', { id: zoe.id });
    expect(seen.clinical).toEqual({ access: 'restricted', until: null });
    expect(seen.alerts.map((a) => [a.kind, a.severity, a.description])).toEqual([
      ['allergy', 'high', ''],
      ['medication', 'moderate', ''],
    ]);
    expect(seen.notes).toBeNull();
    // Everything else is there: reception works with it.
    expect(seen).toMatchObject({
      familyName: 'Müller',
      preferredName: 'Zo',
      email: 'zoe@example.org',
    });
    expect(JSON.stringify(seen)).not.toMatch(/Penicillin|Warfarin|fainting/);
  });

  it('clinical roles see everything', async () => {
    for (const who of [DENTIST, ADMIN]) {
      await signInAs(who);
      const seen = await core.call('patients.get', { id: zoe.id });
      expect(seen.clinical, who.username).toEqual({ access: 'shown', until: null });
      expect(seen.alerts.map((a) => a.description)).toEqual([
        'Penicillin and amoxicillin',
        'Warfarin 5 mg',
      ]);
      expect(seen.notes).toBe('Anxious about injections; history of fainting');
    }
  });

  it('leaves clinical fields out of the change history, and only those', async () => {
    await signInAs(DENTIST);
    const full = await core.call('patients.history', { id: zoe.id });
    await signInAs(RECEPTION);
    const limited = await core.call('patients.history', { id: zoe.id });
    const fields = (h: typeof full) => new Set(h.map((c) => c.field));
    expect(fields(full)).toContain('patient_alert.description');
    expect(fields(full)).toContain('patient.notes');
    expect(fields(limited)).not.toContain('patient_alert.description');
    expect(fields(limited)).not.toContain('patient.notes');
    expect(limited).toEqual(
      full.filter((c) => c.field !== 'patient_alert.description' && c.field !== 'patient.notes'),
    );
    expect(fields(limited)).toContain('patient.preferred_name');
    expect(fields(limited)).toContain('patient_alert.severity');
    expect(JSON.stringify(limited)).not.toMatch(/Penicillin|Warfarin|fainting/);
  });

  it('refuses clinical changes from reception with a typed error, and saves nothing', async () => {
    await signInAs(RECEPTION);
    const attempts: Array<[string, unknown]> = [
      ['patients.update', { id: zoe.id, patch: { alerts: [] } }],
      ['patients.update', { id: zoe.id, patch: { notes: null } }],
      ['patients.update', { id: zoe.id, patch: { notes: 'Looks fine', preferredName: 'Z' } }],
      [
        'patients.create',
        {
          patient: patientInput({
            givenNames: 'Ana',
            familyName: 'Lopes',
            phones: [],
            email: null,
          }),
          duplicatesReviewed: true,
        },
      ],
      [
        'patients.create',
        {
          patient: patientInput({
            givenNames: 'Ana',
            familyName: 'Lopes',
            phones: [],
            email: null,
            alerts: [],
            notes: 'Nervous',
          }),
          duplicatesReviewed: true,
        },
      ],
    ];
    for (const [name, args] of attempts)
      expect(await core.dispatch(name, args), name).toMatchObject({
        ok: false,
        error: { code: 'NOT_ALLOWED', message: expect.stringMatching(/clinical staff/) },
      });
    await signInAs(DENTIST);
    const after = await core.call('patients.get', { id: zoe.id });
    expect(after.alerts).toHaveLength(2);
    expect(after.preferredName).toBe('Zo');
    expect(after.notes).toBe('Anxious about injections; history of fainting');
    expect((await core.call('patients.search', { query: 'lopes' })).items).toEqual([]);
  });

  it('lets reception change the rest, and what comes back is still without clinical details', async () => {
    await signInAs(RECEPTION);
    const updated = await core.call('patients.update', {
      id: zoe.id,
      patch: { phones: [{ number: '07911 123455', type: 'mobile', preferred: true }] },
    });
    expect(updated.phones.map((p) => p.e164)).toEqual(['+447911123455']);
    expect(updated.clinical.access).toBe('restricted');
    expect(updated.notes).toBeNull();
    const created = await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Ana',
        familyName: 'Lopes',
        phones: [],
        email: null,
        alerts: [],
      }),
      duplicatesReviewed: true,
    });
    expect(created.clinical.access).toBe('restricted');
    const archived = await core.call('patients.archive', { id: zoe.id });
    expect(archived).toMatchObject({ status: 'archived', notes: null });
    await signInAs(DENTIST);
    const kept = await core.call('patients.get', { id: zoe.id });
    expect(kept.alerts.map((a) => a.description)).toEqual([
      'Penicillin and amoxicillin',
      'Warfarin 5 mg',
    ]);
    expect(kept.notes).toBe('Anxious about injections; history of fainting');
  });
});

describe('emergency access lifts the restriction for a while', () => {
  it('needs a reason, is audited, opens the details until it expires', async () => {
    await signInAs(RECEPTION);
    const rita = core.currentSession!.userId;
    expect(
      await core.dispatch('access.breakGlass', { patientId: zoe.id, reason: 'urgent' }),
    ).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await core.dispatch('access.breakGlass', { patientId: zoe.id })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    });

    clock += MINUTE;
    const grant = await core.call('access.breakGlass', { patientId: zoe.id, reason: REASON });
    expect(grant).toMatchObject({
      staffId: rita,
      patientId: zoe.id,
      reason: REASON,
      grantedAt: new Date(clock).toISOString(),
      expiresAt: new Date(clock + 60 * MINUTE).toISOString(),
      reviewedAt: null,
    });
    const event = auditRows().find((r) => r.action === 'patient.break_glass');
    expect(event).toMatchObject({
      actor_id: rita,
      subject_id: zoe.id,
      target_table: 'break_glass_grant',
      target_id: grant.id,
      reason: REASON,
    });

    clock += 10 * MINUTE;
    const opened = await core.call('patients.get', { id: zoe.id });
    expect(opened.clinical).toEqual({ access: 'emergency', until: grant.expiresAt });
    expect(opened.alerts.map((a) => a.description)).toEqual([
      'Penicillin and amoxicillin',
      'Warfarin 5 mg',
    ]);
    expect(opened.notes).toBe('Anxious about injections; history of fainting');
    const history = await core.call('patients.history', { id: zoe.id });
    expect(history.map((c) => c.field)).toContain('patient_alert.description');
    // The reading itself is in the trail, by the receptionist, about this patient.
    expect(auditRows().at(-1)).toMatchObject({
      action: 'patients.history',
      actor_id: rita,
      subject_id: zoe.id,
    });
    expect(
      auditRows().some(
        (r) => r.action === 'patients.get' && r.actor_id === rita && r.subject_id === zoe.id,
      ),
    ).toBe(true);

    // The grant is for this patient only, and for reading only.
    expect((await core.call('patients.get', { id: omar.id })).clinical.access).toBe('restricted');
    expect(
      await core.dispatch('patients.update', { id: zoe.id, patch: { notes: 'Changed' } }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });

    // One minute before the end it still holds; at the end it is gone.
    clock = Date.parse(grant.expiresAt) - MINUTE;
    expect((await core.call('patients.get', { id: zoe.id })).clinical.access).toBe('emergency');
    clock = Date.parse(grant.expiresAt);
    const expired = await core.call('patients.get', { id: zoe.id });
    expect(expired.clinical).toEqual({ access: 'restricted', until: null });
    expect(expired.notes).toBeNull();
    expect(expired.alerts.map((a) => a.description)).toEqual(['', '']);
    const after = await core.call('patients.history', { id: zoe.id });
    expect(after.map((c) => c.field)).not.toContain('patient_alert.description');
  });

  it('belongs to the one who asked: a colleague at the same desk still sees the badges only', async () => {
    await signInAs(RECEPTION);
    await core.call('access.breakGlass', { patientId: zoe.id, reason: REASON });
    await signInAs(RECEPTION_2);
    expect((await core.call('patients.get', { id: zoe.id })).clinical.access).toBe('restricted');
  });

  it('is not open to the auditor, whose role does not open records at all', async () => {
    await signInAs(AUDITOR);
    expect(await core.dispatch('patients.get', { id: zoe.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED' },
    });
    expect(
      await core.dispatch('access.breakGlass', { patientId: zoe.id, reason: REASON }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
  });

  it('waits for the practice manager, who sees who opened which record and why, and reviews it', async () => {
    await signInAs(RECEPTION);
    const grant = await core.call('access.breakGlass', { patientId: zoe.id, reason: REASON });
    expect(await core.dispatch('access.listBreakGlass', {})).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED' },
    });
    // Still listed after it expired: expiry ends the access, not the review.
    clock += 2 * 60 * MINUTE;
    await signInAs(ADMIN);
    const waiting = await core.call('access.listBreakGlass', {});
    expect(waiting).toEqual([
      expect.objectContaining({
        id: grant.id,
        staffName: 'Rita Reception',
        patientId: zoe.id,
        reason: REASON,
        reviewedAt: null,
      }),
    ]);
    await core.call('access.reviewBreakGlass', { id: grant.id });
    expect(await core.call('access.listBreakGlass', {})).toEqual([]);
    expect(auditRows().at(-1)).toMatchObject({
      action: 'access.break_glass_reviewed',
      target_id: grant.id,
    });
  });
});
