import { z } from 'zod';
import { signChallenge } from '../../../shared/sync/crypto';
import {
  cursorText,
  messageHeader,
  SERVER_TIME_HEADER,
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
const REQUEST_TIMEOUT_MS = 30_000;

const pulledPage = z.object({
  messages: z.array(
    z.object({
      serverSeq: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
      header: messageHeader,
      payload: z.string().max(200_000),
    }),
  ),
  nextCursor: cursorText,
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  more: z.boolean(),
});

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
      token?: string;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const sentAt = this.options.now();
    let response: Response;
    try {
      response = await this.options.fetch(this.baseUrl + path, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
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
    return this.json(
      await this.send('POST', `/v1/buckets/${bucket}/push`, {
        token,
        body: batch,
        ...(signal ? { signal } : {}),
      }),
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
    const page = await this.json(response, pulledPage as z.ZodType<PullPage>);
    return { ...page, bytes: length };
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
