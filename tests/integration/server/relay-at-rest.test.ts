import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../../shared/sync/base64';
import type { SyncMessage } from '../../../shared/sync/protocol';
import {
  DIALECTS,
  newId,
  postgresUrl,
  startTestRelay,
  TestDevice,
  withPostgres,
  type TestRelay,
} from './support';

const RELAY_TABLES = [
  'organisation',
  'clinic',
  'bucket',
  'device',
  'enrolment_request',
  'auth_challenge',
  'message',
  'receipt',
];

/** Everything the store holds, as bytes: the SQLite file and its WAL, or every Postgres row. */
async function storedBytes(t: TestRelay): Promise<Buffer> {
  if (t.testStore.file) {
    const parts = [t.testStore.file, `${t.testStore.file}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f));
    return Buffer.concat(parts);
  }
  const schema = t.testStore.schema!;
  const rows = await withPostgres(postgresUrl(), async (client) => {
    const texts: string[] = [];
    for (const table of RELAY_TABLES) {
      const result = await client.query<{ row: string }>(
        `SELECT t::text AS row FROM ${schema}.${table} t`,
      );
      texts.push(...result.rows.map((r) => r.row));
    }
    // bytea columns print as hex: decode them so a plaintext inside would show as text too.
    const payloads = await client.query<{ payload: Buffer }>(
      `SELECT payload FROM ${schema}.message`,
    );
    return Buffer.concat([Buffer.from(texts.join('\n')), ...payloads.rows.map((r) => r.payload)]);
  });
  return rows;
}

describe.each(DIALECTS)('what the relay keeps and logs on %s', (dialect) => {
  let t: TestRelay;
  beforeEach(async () => {
    t = await startTestRelay(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  it('never holds a plaintext that was sealed into payloads', async () => {
    const marker = `PLAINTEXT-MARKER-${crypto.randomBytes(6).toString('hex')}`;
    const visibleRowId = `ROWID-MARKER-${crypto.randomBytes(6).toString('hex')}`;
    const device = await t.bootstrap();
    const messages: SyncMessage[] = [];
    for (let i = 0; i < 40; i++)
      messages.push(
        device.message(t.clinicKey, {
          family_name: `Müller ${marker}`,
          notes: `${marker} allergic to penicillin`,
          phone: '+447911123456',
        }),
      );
    messages.push(device.message(t.clinicKey, { n: 1 }, { rowId: visibleRowId }));
    const answer = await device.push(t.caller, device.clinicBucket, device.sign(messages));
    expect(answer.body.rejected).toEqual([]);

    const bytes = await storedBytes(t);
    // The search sees what the store holds: the clear header field is there.
    expect(bytes.includes(Buffer.from(visibleRowId))).toBe(true);
    for (const needle of [marker, encodeBase64(new TextEncoder().encode(marker)), 'penicillin']) {
      expect(bytes.includes(Buffer.from(needle)), needle).toBe(false);
    }
  });

  it('logs routes and ids, never tokens, payloads, keys, pairing codes or secrets', async () => {
    const marker = `LOG-MARKER-${crypto.randomBytes(6).toString('hex')}`;
    const admin = await t.bootstrap();
    const batch = admin.sign([admin.message(t.clinicKey, { notes: marker })]);
    await admin.push(t.caller, admin.clinicBucket, batch);
    await admin.pull(t.caller, admin.clinicBucket);
    await admin.push(t.caller, admin.clinicBucket, {
      ...batch,
      signature: encodeBase64(new Uint8Array(64)),
    });
    const fresh = new TestDevice(
      t.sodium,
      newId('dev'),
      admin.clinic,
      admin.organisation,
      t.clock.now,
    );
    const code = 'LOGCODE123';
    await t.caller.request('POST', '/v1/enrol/requests', {
      body: {
        code,
        clinic: admin.clinic,
        device: { id: fresh.id, name: 'Surgery 9', ...fresh.publicKeys },
      },
    });
    const sealed = encodeBase64(t.sodium.crypto_box_seal(t.clinicKey, fresh.box.publicKey));
    await t.caller.request('POST', `/v1/enrol/requests/${code}/approve`, {
      token: admin.token,
      body: { sealedClinicKey: sealed, keyId: 'clinic-1' },
    });
    await t.caller.request('POST', '/v1/auth/token', {
      body: { device: admin.id, nonce: '{{not json' },
    });
    await t.caller.request('POST', '/v1/auth/token', { raw: `{"device": "${marker}"` });

    const log = t.log.text;
    expect(log).toMatch(/"route":"\/v1\/buckets\/:bucket\/push"/);
    expect(log).toMatch(/"event":"push"/);
    const secrets = [
      admin.token,
      batch.messages[0]!.payload.slice(0, 40),
      batch.signature.slice(0, 40),
      sealed.slice(0, 40),
      admin.publicKeys.signingKey.slice(0, 40),
      code,
      marker,
      'Surgery 9',
      'authorization',
      'Bearer',
    ];
    for (const secret of secrets) expect(log.includes(secret), secret).toBe(false);
  });
});
