import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import { z } from 'zod';
import { DEFLATE_DICTIONARY_ENCODING, PUSH_DICTIONARY } from '../../../shared/sync/compression';
import { signChallenge } from '../../../shared/sync/crypto';
import {
  cursorText,
  messageHeader,
  SERVER_TIME_HEADER,
  SYNC_LIMITS,
  type ChallengeResponse,
  type ClinicBootstrap,
  type ClinicBootstrapResult,
  type DeviceInfo,
  type EnrolmentApproval,
  type EnrolmentCreated,
  type EnrolmentRequest,
  type EnrolmentResult,
  type EnrolmentView,
  type PokeEvent,
  type PulledMessage,
  type PullPage,
  type PushBatch,
  type PushResult,
  type TokenResponse,
} from '../../../shared/sync/protocol';
import type { SyncCrypto } from './crypto';

/** The fetch this module needs; Node's global fetch (undici) in production, a fake in tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The relay could not be reached or could not answer now (network, timeout, 5xx, 429). */
export class RelayUnreachable extends Error {
  override readonly name = 'RelayUnreachable';
}

/**
 * The relay answered and refused. `message` is the relay's own, which names the rule at fault and
 * never a value (docs/sync-protocol.md), so it can be shown to staff.
 */
export class RelayRefusal extends Error {
  override readonly name = 'RelayRefusal';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SETUP_SECRET_HEADER = 'x-enamel-setup-secret';
const PUSH_DEFLATE_DICTIONARY = Buffer.from(PUSH_DICTIONARY, 'utf8');
/** In libuv's thread pool: a large batch does not hold the event loop while it compresses. */
const deflate = promisify(deflateRaw);
const REQUEST_TIMEOUT_MS = 30_000;

const pulledMessage = z.object({
  serverSeq: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  header: messageHeader,
  payload: z.string().max(200_000),
});

/** The page's envelope; its messages are checked one by one (see `pull`). */
const pulledPage = z.object({
  messages: z.array(z.unknown()).max(SYNC_LIMITS.pageMessages),
  nextCursor: cursorText,
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  more: z.boolean(),
});

/** Messages checked per turn of the event loop: a page of 1,000 takes ~10 ms to check. */
const CHECKED_PER_TURN = 200;

const pushAnswer = z.object({
  highestContiguousSeq: z.int().min(0),
  accepted: z.array(z.int()),
  rejected: z.array(z.object({ deviceSeq: z.int(), code: z.string(), message: z.string() })),
});

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface TransportOptions {
  baseUrl: string;
  fetch: FetchLike;
  /** The workstation's clock, for the offset to the relay's. */
  now: () => number;
  timeoutMs?: number;
}

/**
 * HTTP to the relay. Every answer carries the relay's clock; `offsetMs` follows it (relay minus
 * local, measured at the middle of the round trip) for the hybrid logical clock.
 */
export class RelayTransport {
  offsetMs: number | null = null;
  private readonly baseUrl: string;
  /** Push bodies are compressed (x-enamel-deflate-1) until the relay turns one away. */
  private compressPushes = true;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
  }

  get url(): string {
    return this.baseUrl;
  }

  private learnOffset(response: Response, sentAt: number): void {
    const header = response.headers.get(SERVER_TIME_HEADER);
    const server = header === null ? NaN : Number(header);
    if (!Number.isFinite(server)) return;
    const receivedAt = this.options.now();
    this.offsetMs = Math.round(server - (sentAt + receivedAt) / 2);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    options: {
      body?: unknown;
      /** A JSON body already encoded (compressed: say how in `headers`). */
      encoded?: Uint8Array;
      token?: string;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined || options.encoded !== undefined)
      headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const sentAt = this.options.now();
    let response: Response;
    try {
      response = await this.options.fetch(this.baseUrl + path, {
        method,
        headers,
        ...(options.encoded !== undefined
          ? { body: options.encoded }
          : options.body !== undefined
            ? { body: JSON.stringify(options.body) }
            : {}),
        signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new RelayUnreachable('The relay cannot be reached');
    }
    this.learnOffset(response, sentAt);
    return response;
  }

  private async json<T>(response: Response, schema?: z.ZodType<T>): Promise<T> {
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new RelayUnreachable('The relay stopped answering mid-way');
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!response.ok) {
      const parsed = errorBody.safeParse(body);
      if (response.status >= 500 || response.status === 429 || !parsed.success)
        throw new RelayUnreachable(`The relay could not answer now (${response.status})`);
      throw new RelayRefusal(
        response.status,
        parsed.data.error.code,
        parsed.data.error.message.slice(0, 300),
      );
    }
    if (!schema) return body as T;
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new RelayUnreachable('The relay sent an answer that is not valid');
    return parsed.data;
  }

  async health(): Promise<{ status: string; serverTime: number }> {
    return this.json(await this.send('GET', '/health'));
  }

  /** Proves possession of the signing key and returns a bearer token. */
  async signIn(device: string, signingSecret: Uint8Array, crypto: SyncCrypto) {
    const challenge = await this.json<ChallengeResponse>(
      await this.send('POST', '/v1/auth/challenge', { body: { device } }),
    );
    const signature = signChallenge(crypto, device, challenge.nonce, signingSecret);
    return this.json<TokenResponse>(
      await this.send('POST', '/v1/auth/token', {
        body: { device, nonce: challenge.nonce, signature },
      }),
    );
  }

  async createClinic(
    body: ClinicBootstrap,
    setupSecret: string | undefined,
  ): Promise<ClinicBootstrapResult> {
    return this.json(
      await this.send('POST', '/v1/clinics', {
        body,
        ...(setupSecret ? { headers: { [SETUP_SECRET_HEADER]: setupSecret } } : {}),
      }),
    );
  }

  async requestEnrolment(body: EnrolmentRequest): Promise<EnrolmentCreated> {
    return this.json(await this.send('POST', '/v1/enrol/requests', { body }));
  }

  async viewEnrolment(token: string, code: string): Promise<EnrolmentView> {
    return this.json(
      await this.send('GET', `/v1/enrol/requests/${encodeURIComponent(code)}`, { token }),
    );
  }

  async approveEnrolment(
    token: string,
    code: string,
    body: EnrolmentApproval,
  ): Promise<DeviceInfo> {
    return this.json(
      await this.send('POST', `/v1/enrol/requests/${encodeURIComponent(code)}/approve`, {
        token,
        body,
      }),
    );
  }

  async enrolmentResult(code: string): Promise<EnrolmentResult> {
    return this.json(
      await this.send('GET', `/v1/enrol/requests/${encodeURIComponent(code)}/result`),
    );
  }

  async devices(token: string): Promise<DeviceInfo[]> {
    return (
      await this.json<{ devices: DeviceInfo[] }>(await this.send('GET', '/v1/devices', { token }))
    ).devices;
  }

  async revoke(token: string, id: string): Promise<DeviceInfo> {
    return this.json(
      await this.send('POST', `/v1/devices/${encodeURIComponent(id)}/revoke`, { token, body: {} }),
    );
  }

  async push(
    token: string,
    bucket: string,
    batch: PushBatch,
    signal?: AbortSignal,
  ): Promise<PushResult> {
    const path = `/v1/buckets/${bucket}/push`;
    const common = { token, ...(signal ? { signal } : {}) };
    if (this.compressPushes) {
      const json = Buffer.from(JSON.stringify(batch), 'utf8');
      const encoded = await deflate(json, {
        dictionary: PUSH_DEFLATE_DICTIONARY,
        // Small bodies (an edit) are where every byte counts; large ones are compressed faster.
        level: json.length < 64 * 1024 ? 9 : 4,
      });
      const response = await this.send('POST', path, {
        ...common,
        encoded,
        headers: { 'content-encoding': DEFLATE_DICTIONARY_ENCODING },
      });
      if (response.status !== 400 && response.status !== 415)
        return this.json(response, pushAnswer as z.ZodType<PushResult>);
      // A relay older than compressed bodies cannot read one: if it takes the same batch as it
      // is, send them as they are from now on. If the batch itself was at fault, the plain push
      // is refused for that reason too, and compressing stays on.
      await response.body?.cancel().catch(() => undefined);
      const plain = await this.send('POST', path, { ...common, body: batch });
      if (plain.ok) this.compressPushes = false;
      return this.json(plain, pushAnswer as z.ZodType<PushResult>);
    }
    return this.json(
      await this.send('POST', path, { ...common, body: batch }),
      pushAnswer as z.ZodType<PushResult>,
    );
  }

  async pull(
    token: string,
    bucket: string,
    after: string,
    signal?: AbortSignal,
    limit?: number,
  ): Promise<PullPage & { bytes: number }> {
    const query = limit === undefined ? `after=${after}` : `after=${after}&limit=${limit}`;
    const response = await this.send('GET', `/v1/buckets/${bucket}/pull?${query}`, {
      token,
      ...(signal ? { signal } : {}),
    });
    const length = Number(response.headers.get('content-length') ?? 0);
    const envelope = await this.json(response, pulledPage);
    const messages: PulledMessage[] = [];
    for (const [i, m] of envelope.messages.entries()) {
      // Other work (a search at the front desk) gets a turn while a large page is checked.
      if (i > 0 && i % CHECKED_PER_TURN === 0)
        await new Promise<void>((resolve) => setImmediate(resolve));
      const parsed = pulledMessage.safeParse(m);
      if (!parsed.success) throw new RelayUnreachable('The relay sent an answer that is not valid');
      messages.push(parsed.data);
    }
    return { ...envelope, messages, bytes: length };
  }

  /**
   * Opens the bucket's event stream and calls `onEvent` for `ready` and `poke` until the relay
   * ends it or `signal` aborts. Resolves when the stream is over; throws when it cannot open.
   */
  async events(
    token: string,
    bucket: string,
    onEvent: (name: 'ready' | 'poke', data: PokeEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let response: Response;
    const sentAt = this.options.now();
    try {
      response = await this.options.fetch(`${this.baseUrl}/v1/buckets/${bucket}/events`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new RelayUnreachable('The relay cannot be reached');
    }
    this.learnOffset(response, sentAt);
    if (!response.ok || !response.body) {
      await this.json(response);
      throw new RelayUnreachable('The relay did not open its event stream');
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        // A stream that never ends an event must not grow without bound.
        if (buffer.length > 64 * 1024) throw new RelayUnreachable('The event stream is garbled');
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          let name = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (name !== 'ready' && name !== 'poke') continue;
          const parsed = pokeEvent.safeParse(safeJson(data));
          if (parsed.success) onEvent(name, parsed.data);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof RelayUnreachable) throw error;
      throw new RelayUnreachable('The event stream was cut');
    } finally {
      reader.releaseLock();
    }
  }
}

const pokeEvent = z.object({ bucket: z.string(), serverSeq: z.int().min(0) });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
