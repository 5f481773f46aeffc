import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../shared/sync/base64';
import { decodeColumns, enrolmentFingerprint, openPayload } from '../../../shared/sync/crypto';
import {
  ENROLMENT_TTL_MS,
  type DeviceInfo,
  type EnrolmentCreated,
  type EnrolmentResult,
  type EnrolmentView,
  type RelayErrorBody,
} from '../../../shared/sync/protocol';
import { DIALECTS, newId, startTestRelay, TestDevice, type TestRelay } from './support';

let codeCounter = 0;
function pairingCode(): string {
  codeCounter += 1;
  return `PAIR${String(codeCounter).padStart(6, '0')}`;
}

describe.each(DIALECTS)('relay enrolment on %s', (dialect) => {
  let t: TestRelay;
  beforeEach(async () => {
    t = await startTestRelay(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  function newcomer(of: TestDevice): TestDevice {
    return new TestDevice(t.sodium, newId('dev'), of.clinic, of.organisation, t.clock.now);
  }

  function announce(device: TestDevice, code: string) {
    return t.caller.request<EnrolmentCreated>('POST', '/v1/enrol/requests', {
      body: {
        code,
        clinic: device.clinic,
        device: { id: device.id, name: 'Surgery 3', ...device.publicKeys },
      },
    });
  }

  it('enrols a workstation: fingerprint check, sealed clinic key, then sync', async () => {
    const admin = await t.bootstrap();
    await admin.push(
      t.caller,
      admin.clinicBucket,
      admin.sign([admin.message(t.clinicKey, { family_name: 'Adeyemi' })]),
    );
    const fresh = newcomer(admin);
    const code = pairingCode();
    const shownOnNewScreen = enrolmentFingerprint(
      fresh.crypto,
      fresh.signing.publicKey,
      fresh.box.publicKey,
    );

    const created = await announce(fresh, code);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      code,
      fingerprint: shownOnNewScreen,
      expiresAt: t.clock.now() + ENROLMENT_TTL_MS,
    });
    expect(shownOnNewScreen).toMatch(/^([0-9A-F]{4} ){7}[0-9A-F]{4}$/);

    const pending = await t.caller.request<EnrolmentResult>(
      'GET',
      `/v1/enrol/requests/${code}/result`,
    );
    expect(pending.body).toEqual({ status: 'pending', expiresAt: created.body.expiresAt });

    const view = await t.caller.request<EnrolmentView>('GET', `/v1/enrol/requests/${code}`, {
      token: admin.token,
    });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      status: 'pending',
      device: { id: fresh.id, name: 'Surgery 3' },
    });
    // The administrator recomputes the fingerprint from the keys the relay handed over.
    const recomputed = enrolmentFingerprint(
      admin.crypto,
      decodeBase64(view.body.signingKey),
      decodeBase64(view.body.boxKey),
    );
    expect(recomputed).toBe(shownOnNewScreen);

    const sealed = t.sodium.crypto_box_seal(t.clinicKey, decodeBase64(view.body.boxKey));
    const approved = await t.caller.request<DeviceInfo>(
      'POST',
      `/v1/enrol/requests/${code}/approve`,
      {
        token: admin.token,
        body: { sealedClinicKey: encodeBase64(sealed), keyId: 'clinic-1' },
      },
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: fresh.id, status: 'active', clinic: admin.clinic });

    const result = await t.caller.request<EnrolmentResult>(
      'GET',
      `/v1/enrol/requests/${code}/result`,
    );
    expect(result.body).toMatchObject({
      status: 'approved',
      keyId: 'clinic-1',
      clinic: admin.clinic,
      buckets: { clinic: admin.clinicBucket, organisation: admin.organisationBucket },
    });
    if (result.body.status !== 'approved') throw new Error('not approved');
    const clinicKey = t.sodium.crypto_box_seal_open(
      decodeBase64(result.body.sealedClinicKey),
      fresh.box.publicKey,
      fresh.box.privateKey,
    );
    expect(encodeBase64(clinicKey)).toBe(encodeBase64(t.clinicKey));

    await fresh.signIn(t.caller);
    const page = await fresh.pull(t.caller, fresh.clinicBucket);
    const first = page.body.messages[0]!;
    expect(
      decodeColumns(openPayload(fresh.crypto, first.header, first.payload, clinicKey)),
    ).toEqual({
      family_name: 'Adeyemi',
    });

    const twice = await t.caller.request<RelayErrorBody>(
      'POST',
      `/v1/enrol/requests/${code}/approve`,
      {
        token: admin.token,
        body: { sealedClinicKey: encodeBase64(sealed), keyId: 'clinic-1' },
      },
    );
    expect(twice.status).toBe(409);
  });

  it('lets a request expire after 15 minutes', async () => {
    const admin = await t.bootstrap();
    const fresh = newcomer(admin);
    const code = pairingCode();
    await announce(fresh, code);
    t.clock.advance(ENROLMENT_TTL_MS);
    await admin.signIn(t.caller);
    const view = await t.caller.request<EnrolmentView>('GET', `/v1/enrol/requests/${code}`, {
      token: admin.token,
    });
    expect(view.body.status).toBe('expired');
    const approve = await t.caller.request<RelayErrorBody>(
      'POST',
      `/v1/enrol/requests/${code}/approve`,
      {
        token: admin.token,
        body: { sealedClinicKey: encodeBase64(new Uint8Array(80)), keyId: 'clinic-1' },
      },
    );
    expect(approve.status).toBe(410);
    expect(approve.body.error.code).toBe('EXPIRED');
    const result = await t.caller.request<EnrolmentResult>(
      'GET',
      `/v1/enrol/requests/${code}/result`,
    );
    expect(result.body.status).toBe('expired');
    const challenge = await t.caller.request('POST', '/v1/auth/challenge', {
      body: { device: fresh.id },
    });
    expect(challenge.status).toBe(401);
  });

  it('hides a request from other clinics and refuses reused codes and device ids', async () => {
    const admin = await t.bootstrap();
    const stranger = await t.bootstrap();
    const fresh = newcomer(admin);
    const code = pairingCode();
    expect((await announce(fresh, code)).status).toBe(201);
    const peek = await t.caller.request<RelayErrorBody>('GET', `/v1/enrol/requests/${code}`, {
      token: stranger.token,
    });
    expect(peek.status).toBe(404);
    const hijack = await t.caller.request('POST', `/v1/enrol/requests/${code}/approve`, {
      token: stranger.token,
      body: { sealedClinicKey: encodeBase64(new Uint8Array(80)), keyId: 'clinic-1' },
    });
    expect(hijack.status).toBe(404);
    const unauthenticated = await t.caller.request('GET', `/v1/enrol/requests/${code}`);
    expect(unauthenticated.status).toBe(401);

    const sameCode = await announce(newcomer(admin), code);
    expect(sameCode.status).toBe(409);
    const enrolledId = await announce(
      new TestDevice(t.sodium, admin.id, admin.clinic, admin.organisation, t.clock.now),
      pairingCode(),
    );
    expect(enrolledId.status).toBe(409);
    const noClinic = await announce(
      new TestDevice(t.sodium, newId('dev'), 'no-such-clinic', admin.organisation, t.clock.now),
      pairingCode(),
    );
    expect(noClinic.status).toBe(404);
    expect((await t.caller.request('GET', '/v1/enrol/requests/NOSUCHCODE1/result')).status).toBe(
      404,
    );
  });

  it('caps the waiting requests of one clinic', async () => {
    const admin = await t.bootstrap();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await announce(newcomer(admin), pairingCode())).status);
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(statuses[20]).toBe(429);
    t.clock.advance(ENROLMENT_TTL_MS);
    expect((await announce(newcomer(admin), pairingCode())).status).toBe(201);
  });
});
