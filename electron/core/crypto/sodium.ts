import sodiumModule from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodiumModule;

let ready: Promise<Sodium> | null = null;

/** libsodium (sumo build: the standard build has no Argon2id), initialised once per process. */
export function loadSodium(): Promise<Sodium> {
  ready ??= sodiumModule.ready.then(() => sodiumModule);
  return ready;
}

/** Overwrites key material in place; safe to call on already-wiped buffers. */
export function wipe(...buffers: Array<Uint8Array | null | undefined>): void {
  for (const b of buffers) if (b) b.fill(0);
}

export const b64 = {
  encode: (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64'),
  decode: (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64')),
};
