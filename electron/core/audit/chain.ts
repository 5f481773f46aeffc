import { loadSodium, type Sodium } from '../crypto/sodium';

/**
 * The audit trail is a hash chain: each event's hash is BLAKE2b-256 over the previous hash and
 * the event's canonical encoding. Editing, inserting or deleting any event breaks every later
 * link, and `verifyChain` reports the first broken one. Events carry ids and field names only,
 * never patient names or health details.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEventFields {
  id: string;
  at: string;
  hlc: string;
  device_id: string;
  actor_id: string | null;
  action: string;
  subject_id: string | null;
  target_table: string | null;
  target_id: string | null;
  /** JSON array of field names touched (never their values). */
  fields: string | null;
  /** Break-glass and override reasons, as typed by staff. */
  reason: string | null;
}

const ORDER: Array<keyof AuditEventFields> = [
  'id',
  'at',
  'hlc',
  'device_id',
  'actor_id',
  'action',
  'subject_id',
  'target_table',
  'target_id',
  'fields',
  'reason',
];

/** Fixed key order, explicit nulls: the same event always encodes to the same bytes. */
export function canonicalEvent(e: AuditEventFields): string {
  return JSON.stringify(ORDER.map((k) => e[k] ?? null));
}

export async function chainHash(prevHash: string, e: AuditEventFields): Promise<string> {
  return chainHashWith(await loadSodium(), prevHash, e);
}

/** `chainHash` for writers that append synchronously inside a transaction (sodium loaded). */
export function chainHashWith(sodium: Sodium, prevHash: string, e: AuditEventFields): string {
  return sodium.crypto_generichash(32, `${prevHash}\n${canonicalEvent(e)}`, null, 'hex');
}

export interface ChainRow extends AuditEventFields {
  seq: number;
  prev_hash: string;
  hash: string;
}

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first event whose link does not hold. */
  firstBroken: { seq: number; reason: string } | null;
  lastHash: string;
}

/** Walks the chain in order; rows must be sorted by seq. */
export async function verifyChain(
  rows: Iterable<ChainRow>,
  startHash = GENESIS_HASH,
  startSeq = 0,
): Promise<ChainReport> {
  let prev = startHash;
  let expectedSeq = startSeq + 1;
  let checked = 0;
  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      return {
        ok: false,
        checked,
        firstBroken: { seq: expectedSeq, reason: 'an event is missing' },
        lastHash: prev,
      };
    }
    if (row.prev_hash !== prev) {
      return {
        ok: false,
        checked,
        firstBroken: { seq: row.seq, reason: 'the link to the previous event does not match' },
        lastHash: prev,
      };
    }
    const hash = await chainHash(prev, row);
    if (hash !== row.hash) {
      return {
        ok: false,
        checked,
        firstBroken: { seq: row.seq, reason: 'the event was changed after it was written' },
        lastHash: prev,
      };
    }
    prev = hash;
    expectedSeq += 1;
    checked += 1;
  }
  return { ok: true, checked, firstBroken: null, lastHash: prev };
}
