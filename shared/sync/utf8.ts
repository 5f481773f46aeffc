/**
 * UTF-8 through the WHATWG TextEncoder/TextDecoder that Node, Electron and browsers all provide.
 * shared/ compiles without DOM or Node types, so the two constructors are typed here, locally,
 * instead of declaring globals that would clash with lib.dom in the projects that include both.
 */
interface Utf8Encoder {
  encode(input: string): Uint8Array;
  encodeInto(input: string, destination: Uint8Array): { read: number; written: number };
}
interface Utf8Decoder {
  decode(input: Uint8Array): string;
}
const codecs = globalThis as unknown as {
  TextEncoder: new () => Utf8Encoder;
  TextDecoder: new (label: 'utf-8', options: { fatal: boolean }) => Utf8Decoder;
};

export const utf8Encoder: Utf8Encoder = new codecs.TextEncoder();
/** Refuses malformed UTF-8 instead of substituting U+FFFD. */
export const utf8Decoder: Utf8Decoder = new codecs.TextDecoder('utf-8', { fatal: true });
