import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { decodeBase64, encodeBase64 } from '../../../shared/sync/base64';
import { canonicalBatch } from '../../../shared/sync/canonical';
import { decodeMessages, receiptDigest } from '../../../shared/sync/crypto';
import type { MessageHeader, PushBatch, SyncMessage } from '../../../shared/sync/protocol';
import type { SignedInDevice } from '../../../server/auth';
import type { RelayContext } from '../../../server/context';
import { relayCrypto } from '../../../server/crypto';
import { RelayError } from '../../../server/errors';
import { verifyPush } from '../../../server/services/push';

const NOW = 1_795_000_000_000;
const BUCKET = 'clinic.c-1';
/** verifyPush only reads the clock. */
const ctx = { now: () => NOW } as unknown as RelayContext;

function keys() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return { raw: new Uint8Array(raw), privateKey };
}

const device = (signingKey: Uint8Array, id = 'd-1'): SignedInDevice => ({
  id,
  clinicId: 'c-1',
  organisationId: 'o-1',
  signingKey,
  tokenExpiresAt: NOW + 60_000,
});

function message(seq: number): SyncMessage {
  const header: MessageHeader = {
    v: 1,
    bucket: BUCKET,
    device: 'd-1',
    deviceSeq: seq,
    hlc: encodeHlc({ millis: NOW, counter: seq, node: 'd-1' }),
    table: 'patient',
    rowId: `r-${seq}`,
    subject: null,
    op: 'upsert',
    schema: 1,
    keyId: 'clinic-1',
  };
  return { header, payload: encodeBase64(new Uint8Array(crypto.randomBytes(40 + seq))) };
}

function sign(messages: SyncMessage[], privateKey: crypto.KeyObject, id = 'd-1'): PushBatch {
  const bytes = canonicalBatch(id, decodeMessages(messages));
  return { device: id, messages, signature: encodeBase64(crypto.sign(null, bytes, privateKey)) };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof RelayError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('verifying a push before its transaction', () => {
  it("decodes a batch signed with the caller's key and digests each message", () => {
    const { raw, privateKey } = keys();
    const messages = [message(1), message(2), message(3)];
    const push = verifyPush(ctx, device(raw), BUCKET, sign(messages, privateKey));
    expect(push).toMatchObject({ device: 'd-1', bucket: BUCKET, now: NOW });
    expect(push.messages.map((m) => [...m.payload])).toEqual(
      messages.map((m) => [...decodeBase64(m.payload)]),
    );
    expect(push.digests).toEqual(
      decodeMessages(messages).map((m) => receiptDigest(relayCrypto, m)),
    );
  });

  it('refuses other keys, other devices, altered batches and loose base64', () => {
    const { raw, privateKey } = keys();
    const messages = [message(1), message(2)];
    const batch = sign(messages, privateKey);
    expect(refusal(() => verifyPush(ctx, device(keys().raw), BUCKET, batch))).toBe('BAD_SIGNATURE');
    expect(refusal(() => verifyPush(ctx, device(raw, 'd-2'), BUCKET, batch))).toBe('WRONG_DEVICE');
    const swapped = { ...batch, messages: [messages[1]!, messages[0]!] };
    expect(refusal(() => verifyPush(ctx, device(raw), BUCKET, swapped))).toBe('BAD_SIGNATURE');
    // The same bytes spelled another way: a line break, a missing pad, stray low bits.
    const text = messages[0]!.payload;
    const spellings = [
      `${text.slice(0, 8)}\n${text.slice(8)}`,
      text.replace(/=+$/, ''),
      `${'A'.repeat(54)}B=`,
    ];
    for (const payload of spellings) {
      // Refused before the signature is looked at, so the original one will do.
      const loose = { ...batch, messages: [{ ...messages[0]!, payload }, messages[1]!] };
      expect(
        refusal(() => verifyPush(ctx, device(raw), BUCKET, loose)),
        payload,
      ).toBe('VALIDATION');
    }
    expect(refusal(() => verifyPush(ctx, device(raw), BUCKET, batch))).toBe('accepted');
  });
});
