import { afterEach, describe, expect, it } from 'vitest';
import { signChallenge } from '../../../shared/sync/crypto';
import {
  TOKEN_TTL_MS,
  type ChallengeResponse,
  type ClinicBootstrapResult,
  type DeviceInfo,
  type RelayErrorBody,
  type TokenResponse,
} from '../../../shared/sync/protocol';
import {
  DIALECTS,
  newId,
  startTestRelay,
  storedMessages,
  TestDevice,
  type TestRelay,
} from './support';

describe.each(DIALECTS)('relay sign-in and devices on %s', (dialect) => {
  let t: TestRelay | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function relay(options: Parameters<typeof startTestRelay>[1] = {}) {
    t = await startTestRelay(dialect, options);
    return t;
  }

  it('trades a signed challenge for a 15-minute token and refuses it once expired', async () => {
    const r = await relay();
    const device = await r.bootstrap();
    const challenge = await r.caller.request<ChallengeResponse>('POST', '/v1/auth/challenge', {
      body: { device: device.id },
    });
    expect(challenge.status).toBe(200);
    const signature = signChallenge(
      device.crypto,
      device.id,
      challenge.body.nonce,
      device.signing.privateKey,
    );
    const token = await r.caller.request<TokenResponse>('POST', '/v1/auth/token', {
      body: { device: device.id, nonce: challenge.body.nonce, signature },
    });
    expect(token.status).toBe(200);
    expect(token.body.expiresAt).toBe(r.clock.now() + TOKEN_TTL_MS);
    expect(token.body.serverTime).toBe(r.clock.now());
    expect(token.headers['x-enamel-server-time']).toBe(String(r.clock.now()));

    const list = await r.caller.request<{ devices: DeviceInfo[] }>('GET', '/v1/devices', {
      token: token.body.token,
    });
    expect(list.status).toBe(200);
    expect(list.body.devices.map((d) => d.id)).toEqual([device.id]);

    // The nonce is single use.
    const again = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/token', {
      body: { device: device.id, nonce: challenge.body.nonce, signature },
    });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('UNAUTHENTICATED');

    r.clock.advance(TOKEN_TTL_MS - 1);
    expect((await r.caller.request('GET', '/v1/devices', { token: token.body.token })).status).toBe(
      200,
    );
    r.clock.advance(1);
    const expired = await r.caller.request<RelayErrorBody>('GET', '/v1/devices', {
      token: token.body.token,
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('TOKEN_EXPIRED');
    await device.signIn(r.caller);
    expect((await r.caller.request('GET', '/v1/devices', { token: device.token })).status).toBe(
      200,
    );
  });

  it('refuses a wrong signature, a stale challenge, a forged token and no token', async () => {
    const r = await relay();
    const device = await r.bootstrap();
    const impostor = new TestDevice(
      r.sodium,
      device.id,
      device.clinic,
      device.organisation,
      r.clock.now,
    );
    const challenge = await r.caller.request<ChallengeResponse>('POST', '/v1/auth/challenge', {
      body: { device: device.id },
    });
    const wrong = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/token', {
      body: {
        device: device.id,
        nonce: challenge.body.nonce,
        signature: signChallenge(
          impostor.crypto,
          device.id,
          challenge.body.nonce,
          impostor.signing.privateKey,
        ),
      },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('BAD_SIGNATURE');
    // The spent nonce cannot be retried with the right key.
    const retry = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/token', {
      body: {
        device: device.id,
        nonce: challenge.body.nonce,
        signature: signChallenge(
          device.crypto,
          device.id,
          challenge.body.nonce,
          device.signing.privateKey,
        ),
      },
    });
    expect(retry.status).toBe(401);

    const late = await r.caller.request<ChallengeResponse>('POST', '/v1/auth/challenge', {
      body: { device: device.id },
    });
    r.clock.advance(61_000);
    const stale = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/token', {
      body: {
        device: device.id,
        nonce: late.body.nonce,
        signature: signChallenge(
          device.crypto,
          device.id,
          late.body.nonce,
          device.signing.privateKey,
        ),
      },
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/expired/);

    const forged = device.token.slice(0, -2) + (device.token.endsWith('A') ? 'BB' : 'AA');
    for (const token of [forged, 'not-a-token', '']) {
      const answer = await r.caller.request<RelayErrorBody>('GET', '/v1/devices', { token });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    }
    const unknown = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/challenge', {
      body: { device: 'never-enrolled' },
    });
    expect(unknown.status).toBe(401);
  });

  it('refuses a revoked device everywhere, at once', async () => {
    const r = await relay();
    const admin = await r.bootstrap();
    const lost = await r.addDevice(admin);
    await lost.push(r.caller, lost.clinicBucket, lost.sign([lost.message(r.clinicKey, { a: 1 })]));
    const pending = lost.sign([lost.message(r.clinicKey, { a: 2 })]);

    const revoked = await r.caller.request<DeviceInfo>('POST', `/v1/devices/${lost.id}/revoke`, {
      token: admin.token,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      id: lost.id,
      status: 'revoked',
      revokedAt: r.clock.now(),
    });
    const twice = await r.caller.request<DeviceInfo>('POST', `/v1/devices/${lost.id}/revoke`, {
      token: admin.token,
      body: {},
    });
    expect(twice.body).toEqual(revoked.body);

    const attempts = [
      lost.push(r.caller, lost.clinicBucket, pending),
      lost.pull(r.caller, lost.clinicBucket),
      r.caller.request('GET', `/v1/buckets/${lost.clinicBucket}/events`, { token: lost.token }),
      r.caller.request('GET', '/v1/devices', { token: lost.token }),
      r.caller.request('POST', `/v1/devices/${admin.id}/revoke`, { token: lost.token }),
      r.caller.request('GET', '/v1/enrol/requests/ABCDEFGHJK', { token: lost.token }),
      r.caller.request('POST', '/v1/auth/challenge', { body: { device: lost.id } }),
    ];
    for (const answer of await Promise.all(attempts)) {
      expect(answer.status).toBe(403);
      expect((answer.body as RelayErrorBody).error.code).toBe('DEVICE_REVOKED');
    }
    expect((await storedMessages(r.testStore.store, lost.clinicBucket)).length).toBe(1);
    // The administrator still works, and sees the revocation.
    const list = await r.caller.request<{ devices: DeviceInfo[] }>('GET', '/v1/devices', {
      token: admin.token,
    });
    expect(list.body.devices.find((d) => d.id === lost.id)?.status).toBe('revoked');
  });

  it("cannot revoke or list another clinic's devices", async () => {
    const r = await relay();
    const alpha = await r.bootstrap();
    const beta = await r.bootstrap();
    const answer = await r.caller.request<RelayErrorBody>('POST', `/v1/devices/${beta.id}/revoke`, {
      token: alpha.token,
    });
    expect(answer.status).toBe(404);
    const list = await r.caller.request<{ devices: DeviceInfo[] }>('GET', '/v1/devices', {
      token: alpha.token,
    });
    expect(list.body.devices.map((d) => d.id)).toEqual([alpha.id]);
  });

  it('creates clinics only with the setup secret when one is set, never twice', async () => {
    const r = await relay({ setupSecret: 'correct-setup-secret' });
    const device = new TestDevice(
      r.sodium,
      newId('dev'),
      newId('clinic'),
      newId('org'),
      r.clock.now,
    );
    const body = {
      organisation: device.organisation,
      clinic: device.clinic,
      device: { id: device.id, name: 'Front desk', ...device.publicKeys },
    };
    const missing = await r.caller.request<RelayErrorBody>('POST', '/v1/clinics', { body });
    expect(missing.status).toBe(403);
    expect(missing.body.error.message).toMatch(/setup secret/);
    const wrong = await r.caller.request('POST', '/v1/clinics', {
      body,
      headers: { 'x-enamel-setup-secret': 'guess' },
    });
    expect(wrong.status).toBe(403);
    const right = await r.caller.request<ClinicBootstrapResult>('POST', '/v1/clinics', {
      body,
      headers: { 'x-enamel-setup-secret': 'correct-setup-secret' },
    });
    expect(right.status).toBe(201);
    expect(right.body.buckets).toEqual({
      clinic: device.clinicBucket,
      organisation: device.organisationBucket,
    });
    expect(right.body.device).toMatchObject({ id: device.id, status: 'active' });
    const again = await r.caller.request<RelayErrorBody>('POST', '/v1/clinics', {
      body: { ...body, organisation: newId('org'), device: { ...body.device, id: newId('dev') } },
      headers: { 'x-enamel-setup-secret': 'correct-setup-secret' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('adds a clinic to an existing organisation only for a signed-in device of it', async () => {
    const r = await relay();
    const alpha = await r.bootstrap();
    const stranger = await r.bootstrap();
    const joiner = new TestDevice(
      r.sodium,
      newId('dev'),
      newId('clinic'),
      alpha.organisation,
      r.clock.now,
    );
    const body = {
      organisation: alpha.organisation,
      clinic: joiner.clinic,
      device: { id: joiner.id, name: 'Branch desk', ...joiner.publicKeys },
    };
    for (const token of [undefined, stranger.token]) {
      const refused = await r.caller.request<RelayErrorBody>('POST', '/v1/clinics', {
        body,
        ...(token ? { token } : {}),
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    const accepted = await r.caller.request('POST', '/v1/clinics', { body, token: alpha.token });
    expect(accepted.status).toBe(201);
  });

  it('limits the rate of unauthenticated calls with a JSON refusal', async () => {
    const r = await relay({ rateLimits: { max: 1000, strictMax: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    let last: RelayErrorBody | undefined;
    for (let i = 0; i < 5; i++) {
      const answer = await r.caller.request<RelayErrorBody>('POST', '/v1/auth/challenge', {
        body: { device: 'someone' },
      });
      statuses.push(answer.status);
      last = answer.body;
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(last?.error.code).toBe('RATE_LIMITED');
    expect((await r.caller.request('GET', '/health')).status).toBe(200);
  });
});
