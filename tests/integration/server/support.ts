import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import sodiumModule from 'libsodium-wrappers-sumo';
import pg from 'pg';
import { encodeHlc } from '../../../shared/hlc';
import {
  encodeColumns,
  sealPayload,
  signBatch,
  signChallenge,
  type Ed25519Signer,
  type RandomSource,
  type Sha256,
  type XChaCha20Poly1305,
} from '../../../shared/sync/crypto';
import { encodeBase64 } from '../../../shared/sync/base64';
import {
  clinicBucketId,
  organisationBucketId,
  type ClinicBootstrapResult,
  type MessageHeader,
  type PullPage,
  type PushBatch,
  type PushResult,
  type SyncMessage,
  type TokenResponse,
} from '../../../shared/sync/protocol';
import { buildRelay, type Relay, type RelayOptions } from '../../../server/app';
import type { RelayDialect } from '../../../server/db/dialect';
import { openRelayStore, type RelayStore } from '../../../server/db/store';

export type Sodium = typeof sodiumModule;

export async function loadSodium(): Promise<Sodium> {
  await sodiumModule.ready;
  return sodiumModule;
}

/** The workstation side of the protocol's cryptography, as the sync client will build it. */
export function sodiumCrypto(
  sodium: Sodium,
): Ed25519Signer & XChaCha20Poly1305 & RandomSource & Sha256 {
  return {
    signDetached: (message, secretKey) => sodium.crypto_sign_detached(message, secretKey),
    encrypt: (plaintext, ad, nonce, key) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
    decrypt: (ciphertext, ad, nonce, key) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key),
    randomBytes: (length) => sodium.randombytes_buf(length),
    sha256: (data) => sodium.crypto_hash_sha256(data),
  };
}

export const DIALECTS: RelayDialect[] = ['sqlite', 'postgres'];

const POSTGRES_HELP =
  'The relay suite runs on Postgres too and needs TEST_DATABASE_URL (or DATABASE_URL). ' +
  'Run: export TEST_DATABASE_URL=$(bash tests/integration/server/start-postgres.sh)';

/** Postgres for the relay suite; its absence is a failure, never a silent skip. */
export function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error(POSTGRES_HELP);
  return url;
}

export function tempDir(prefix = 'enamel-relay-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh, migrated store: a new SQLite file, or a new schema in the test Postgres database. */
export interface TestStore {
  dialect: RelayDialect;
  store: RelayStore;
  /** SQLite file path (with its -wal beside it); null on Postgres. */
  file: string | null;
  /** Postgres schema name; null on SQLite. */
  schema: string | null;
  dispose(): Promise<void>;
}

export async function openTestStore(dialect: RelayDialect): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const dir = tempDir();
    const file = path.join(dir, 'relay.sqlite');
    const store = await openRelayStore({ kind: 'sqlite', file });
    return {
      dialect,
      store,
      file,
      schema: null,
      dispose: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = postgresUrl();
  const schema = `relay_test_${crypto.randomBytes(6).toString('hex')}`;
  await withPostgres(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  const store = await openRelayStore({ kind: 'postgres', url, schema, poolSize: 8 });
  return {
    dialect,
    store,
    file: null,
    schema,
    dispose: async () => {
      await store.close();
      await withPostgres(url, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}

export async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Collects the relay's JSON log lines in memory. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/** A clock tests can move. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 20, 9, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** Speaks HTTP to a relay: through `app.inject`, or over loopback once it listens. */
export class RelayCaller {
  constructor(
    readonly relay: Relay | null,
    private readonly baseUrl: string | null = null,
  ) {}

  async request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
    url: string,
    options: RequestOptions = {},
  ): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (
      payload !== undefined &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    )
      headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (this.baseUrl) {
      const response = await fetch(this.baseUrl + url, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: parseJson(text) as T,
        headers: Object.fromEntries(response.headers.entries()),
        text,
      };
    }
    if (!this.relay) throw new Error('No relay to inject into and no URL to call');
    const response = await this.relay.app.inject({
      method,
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    return {
      status: response.statusCode,
      body: parseJson(response.body) as T,
      headers: response.headers as HttpAnswer['headers'],
      text: response.body,
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A workstation with its own keys, clock and outbox numbering. */
export class TestDevice {
  readonly signing: { publicKey: Uint8Array; privateKey: Uint8Array };
  readonly box: { publicKey: Uint8Array; privateKey: Uint8Array };
  token = '';
  private nextSeq = 1;

  constructor(
    readonly sodium: Sodium,
    readonly id: string,
    readonly clinic: string,
    readonly organisation: string,
    private readonly clock: () => number,
  ) {
    this.signing = sodium.crypto_sign_keypair();
    this.box = sodium.crypto_box_keypair();
  }

  get crypto() {
    return sodiumCrypto(this.sodium);
  }

  get clinicBucket(): string {
    return clinicBucketId(this.clinic);
  }

  get organisationBucket(): string {
    return organisationBucketId(this.organisation);
  }

  get publicKeys() {
    return {
      signingKey: encodeBase64(this.signing.publicKey),
      boxKey: encodeBase64(this.box.publicKey),
    };
  }

  async signIn(caller: RelayCaller): Promise<TokenResponse> {
    const challenge = await caller.request<{ nonce: string }>('POST', '/v1/auth/challenge', {
      body: { device: this.id },
    });
    if (challenge.status !== 200) throw new Error(`challenge: ${challenge.text}`);
    const signature = signChallenge(
      this.crypto,
      this.id,
      challenge.body.nonce,
      this.signing.privateKey,
    );
    const token = await caller.request<TokenResponse>('POST', '/v1/auth/token', {
      body: { device: this.id, nonce: challenge.body.nonce, signature },
    });
    if (token.status !== 200) throw new Error(`token: ${token.text}`);
    this.token = token.body.token;
    return token.body;
  }

  /** A sealed row change, numbered with this device's next sequence number. */
  message(
    key: Uint8Array,
    columns: Record<string, unknown>,
    overrides: Partial<MessageHeader> = {},
  ): SyncMessage {
    const header: MessageHeader = {
      v: 1,
      bucket: this.clinicBucket,
      device: this.id,
      deviceSeq: overrides.deviceSeq ?? this.nextSeq++,
      hlc: encodeHlc({ millis: this.clock(), counter: 0, node: this.id }),
      table: 'patient',
      rowId: crypto.randomUUID(),
      subject: null,
      op: 'upsert',
      schema: 1,
      keyId: 'clinic-1',
      ...overrides,
    };
    return { header, payload: sealPayload(this.crypto, header, encodeColumns(columns), key) };
  }

  sign(messages: SyncMessage[]): PushBatch {
    return signBatch(this.crypto, this.id, messages, this.signing.privateKey);
  }

  push(caller: RelayCaller, bucket: string, batch: PushBatch) {
    return caller.request<PushResult>('POST', `/v1/buckets/${bucket}/push`, {
      body: batch,
      token: this.token,
    });
  }

  pull(caller: RelayCaller, bucket: string, after = '0', limit?: number) {
    const query = limit === undefined ? `after=${after}` : `after=${after}&limit=${limit}`;
    return caller.request<PullPage>('GET', `/v1/buckets/${bucket}/pull?${query}`, {
      token: this.token,
    });
  }
}

export interface TestRelay {
  relay: Relay;
  caller: RelayCaller;
  clock: TestClock;
  log: LogCapture;
  testStore: TestStore;
  sodium: Sodium;
  /** Clinic key every test device shares, as if enrolment had handed it out. */
  clinicKey: Uint8Array;
  /** Starts listening on loopback and returns a caller that uses real HTTP. */
  listen(): Promise<RelayCaller>;
  /** Bootstraps a clinic (and, when new, its organisation) with a first device, signed in. */
  bootstrap(options?: {
    organisation?: string;
    clinic?: string;
    /** Bootstrap this device (its clinic and organisation ids). */
    as?: TestDevice;
    /** A signed-in device of the existing organisation the clinic joins. */
    invitedBy?: TestDevice;
  }): Promise<TestDevice>;
  /** Adds a device to an existing clinic directly in the store, signed in. */
  addDevice(of: TestDevice): Promise<TestDevice>;
  close(): Promise<void>;
}

export function newId(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

export async function startTestRelay(
  dialect: RelayDialect,
  options: Partial<Omit<RelayOptions, 'store'>> & { realClock?: boolean } = {},
): Promise<TestRelay> {
  const sodium = await loadSodium();
  const testStore = await openTestStore(dialect);
  const clock = new TestClock(options.realClock ? Date.now() : undefined);
  const now = options.realClock ? () => Date.now() : clock.now;
  const log = new LogCapture();
  const { realClock: _realClock, ...relayOptions } = options;
  const relay = await buildRelay({
    rateLimits: false,
    log: { stream: log, level: 'info' },
    ...relayOptions,
    store: testStore.store,
    now,
  });
  const caller = new RelayCaller(relay);
  const clinicKey = sodium.randombytes_buf(32);
  let listening: RelayCaller | null = null;

  const bootstrap: TestRelay['bootstrap'] = async (o = {}) => {
    const device =
      o.as ??
      new TestDevice(
        sodium,
        newId('dev'),
        o.clinic ?? newId('clinic'),
        o.organisation ?? newId('org'),
        now,
      );
    const created = await caller.request<ClinicBootstrapResult>('POST', '/v1/clinics', {
      body: {
        organisation: device.organisation,
        clinic: device.clinic,
        device: { id: device.id, name: 'Front desk', ...device.publicKeys },
      },
      ...(o.invitedBy ? { token: o.invitedBy.token } : {}),
    });
    if (created.status !== 201) throw new Error(`bootstrap: ${created.text}`);
    await device.signIn(caller);
    return device;
  };

  return {
    relay,
    caller,
    clock,
    log,
    testStore,
    sodium,
    clinicKey,
    bootstrap,
    async addDevice(of) {
      const device = new TestDevice(sodium, newId('dev'), of.clinic, of.organisation, now);
      await testStore.store.db
        .insertInto('device')
        .values({
          id: device.id,
          clinic_id: of.clinic,
          name: 'Chair 2',
          signing_key: device.publicKeys.signingKey,
          box_key: device.publicKeys.boxKey,
          status: 'active',
          created_at: now(),
          last_seen: null,
          revoked_at: null,
        })
        .execute();
      await device.signIn(caller);
      return device;
    },
    async listen() {
      if (listening) return listening;
      await relay.app.listen({ port: 0, host: '127.0.0.1' });
      const address = relay.app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('no address');
      listening = new RelayCaller(relay, `http://127.0.0.1:${address.port}`);
      return listening;
    },
    async close() {
      await relay.close();
      await testStore.dispose();
    },
  };
}

/** Every message row of a bucket, for assertions about what the relay holds. */
export async function storedMessages(store: RelayStore, bucket: string) {
  return store.db
    .selectFrom('message')
    .selectAll()
    .where('bucket_id', '=', bucket)
    .orderBy('server_seq')
    .execute();
}

/** Pulls a bucket to its end, page by page. */
export async function pullAll(caller: RelayCaller, device: TestDevice, bucket: string) {
  const pages: PullPage[] = [];
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const page = await device.pull(caller, bucket, cursor);
    if (page.status !== 200) throw new Error(`pull: ${page.text}`);
    pages.push(page.body);
    cursor = page.body.nextCursor;
    if (!page.body.more) return pages;
  }
  throw new Error('pull did not finish');
}

export interface ServerSentEvent {
  event: string;
  data: unknown;
}

/** A Server-Sent Events stream read with fetch, with bounded waits. */
export class EventStream {
  private readonly queue: ServerSentEvent[] = [];
  private waiters: Array<() => void> = [];
  private buffer = '';
  ended = false;
  readonly finished: Promise<void>;

  private constructor(
    readonly status: number,
    private readonly controller: AbortController,
    body: ReadableStream<Uint8Array> | null,
  ) {
    this.finished = this.read(body);
  }

  static async open(baseUrl: string, path: string, token: string): Promise<EventStream> {
    const controller = new AbortController();
    const response = await fetch(baseUrl + path, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    return new EventStream(response.status, controller, response.body);
  }

  private async read(body: ReadableStream<Uint8Array> | null): Promise<void> {
    if (!body) return this.end();
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let split: number;
        while ((split = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, split);
          this.buffer = this.buffer.slice(split + 2);
          const lines = block.split('\n').filter((l) => !l.startsWith(':'));
          if (lines.length === 0) continue;
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          this.queue.push({ event, data: data === undefined ? null : JSON.parse(data) });
          this.wake();
        }
      }
    } catch {
      // Aborted by close(): the stream is over either way.
    }
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next event named `event`, skipping others; fails after `timeoutMs`. */
  async next(event: string, timeoutMs = 10_000): Promise<ServerSentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.queue.findIndex((e) => e.event === event);
      if (index >= 0) return this.queue.splice(index, 1)[0]!;
      if (this.ended) throw new Error(`stream ended before a "${event}" event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${event}" event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves true when the server ends the stream within `timeoutMs`. */
  async endsWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.finished.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  close(): void {
    this.controller.abort();
  }
}
