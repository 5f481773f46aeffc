import type { PokeEvent } from '../shared/sync/protocol';

export interface PokeListener {
  device: string;
  bucket: string;
  poke(event: PokeEvent): void;
  /** Ends the stream (revocation, shutdown, token expiry). */
  close(): void;
}

/**
 * Open event streams by bucket. A poke carries no data, only "there is more after serverSeq":
 * devices then pull. One relay process pokes its own listeners; see docs/sync-protocol.md for
 * running several processes.
 */
export class PokeHub {
  private readonly byBucket = new Map<string, Set<PokeListener>>();

  add(listener: PokeListener): () => void {
    let set = this.byBucket.get(listener.bucket);
    if (!set) this.byBucket.set(listener.bucket, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byBucket.get(listener.bucket) === set)
        this.byBucket.delete(listener.bucket);
    };
  }

  notify(bucket: string, serverSeq: number): void {
    for (const l of this.byBucket.get(bucket) ?? []) l.poke({ bucket, serverSeq });
  }

  closeDevice(device: string): void {
    for (const set of this.byBucket.values())
      for (const l of [...set]) if (l.device === device) l.close();
  }

  closeAll(): void {
    for (const set of this.byBucket.values()) for (const l of [...set]) l.close();
  }

  get size(): number {
    let n = 0;
    for (const set of this.byBucket.values()) n += set.size;
    return n;
  }
}
