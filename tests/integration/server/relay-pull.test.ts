import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeColumns, openPayload, pulledPageChecksum } from '../../../shared/sync/crypto';
import { SYNC_LIMITS, type RelayErrorBody } from '../../../shared/sync/protocol';
import { DIALECTS, pullAll, startTestRelay, type TestRelay } from './support';

describe.each(DIALECTS)('relay pull on %s', (dialect) => {
  let t: TestRelay;
  beforeEach(async () => {
    t = await startTestRelay(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  it('pages a large log in pages of at most 1 MB with checksums and a cursor', async () => {
    const writer = await t.bootstrap();
    const reader = await t.addDevice(writer);
    // About 60 KB of sealed payload per message: 3 MB in all, pushed in batches under 4 MB.
    const filler = 'x'.repeat(60_000);
    const COUNT = 50;
    for (let start = 0; start < COUNT; start += 25) {
      const batch = writer.sign(
        Array.from({ length: 25 }, (_, i) => writer.message(t.clinicKey, { n: start + i, filler })),
      );
      expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThan(SYNC_LIMITS.batchBytes);
      const answer = await writer.push(t.caller, writer.clinicBucket, batch);
      expect(answer.status).toBe(200);
    }
    let cursor = '0';
    const seen: number[] = [];
    let pages = 0;
    for (let guard = 0; guard < 100; guard++) {
      const page = await reader.pull(t.caller, reader.clinicBucket, cursor);
      expect(page.status).toBe(200);
      expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(SYNC_LIMITS.pageBytes);
      expect(page.body.checksum).toBe(pulledPageChecksum(reader.crypto, page.body.messages));
      expect(page.body.messages.length).toBeGreaterThan(0);
      for (const m of page.body.messages) {
        seen.push(m.serverSeq);
        const columns = decodeColumns(openPayload(reader.crypto, m.header, m.payload, t.clinicKey));
        expect(columns.n).toBe(m.serverSeq - 1);
      }
      expect(page.body.nextCursor).toBe(String(page.body.messages.at(-1)!.serverSeq));
      cursor = page.body.nextCursor;
      pages += 1;
      if (!page.body.more) break;
    }
    expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(pages).toBeGreaterThanOrEqual(3);

    const end = await reader.pull(t.caller, reader.clinicBucket, cursor);
    expect(end.body).toMatchObject({ messages: [], nextCursor: cursor, more: false });
    expect(end.body.checksum).toBe(pulledPageChecksum(reader.crypto, []));
  });

  it('honours the limit and lets a client detect an altered page', async () => {
    const writer = await t.bootstrap();
    await writer.push(
      t.caller,
      writer.clinicBucket,
      writer.sign(Array.from({ length: 5 }, (_, i) => writer.message(t.clinicKey, { i }))),
    );
    const page = await writer.pull(t.caller, writer.clinicBucket, '1', 2);
    expect(page.body.messages.map((m) => m.serverSeq)).toEqual([2, 3]);
    expect(page.body).toMatchObject({ nextCursor: '3', more: true });
    const altered = page.body.messages.map((m, i) =>
      i === 1 ? { ...m, header: { ...m.header, rowId: page.body.messages[0]!.header.rowId } } : m,
    );
    expect(pulledPageChecksum(writer.crypto, altered)).not.toBe(page.body.checksum);
    const renumbered = page.body.messages.map((m) => ({ ...m, serverSeq: m.serverSeq + 1 }));
    expect(pulledPageChecksum(writer.crypto, renumbered)).not.toBe(page.body.checksum);

    const rest = await pullAll(t.caller, writer, writer.clinicBucket);
    expect(rest.flatMap((p) => p.messages).length).toBe(5);
  });

  it('refuses malformed cursors and limits', async () => {
    const writer = await t.bootstrap();
    for (const query of [
      'after=-1',
      'after=abc',
      'after=01',
      'limit=0',
      'limit=1001',
      'limit=x',
      'other=1',
    ]) {
      const answer = await t.caller.request<RelayErrorBody>(
        'GET',
        `/v1/buckets/${writer.clinicBucket}/pull?${query}`,
        { token: writer.token },
      );
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION');
    }
  });
});
