import type { Transport } from '../../../renderer/api/client';
import type { CommandName, EventName } from '../../../shared/ipc/contract';

export interface Call {
  name: CommandName;
  args: unknown;
}

type Handler = (args: unknown) => unknown;

/**
 * A transport that answers from handlers written by the test. Answers can be held back
 * (`hold`) and released later, to test answers that arrive out of order.
 */
export class FakeTransport implements Transport {
  readonly calls: Call[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly held: Array<() => void> = [];
  holding = false;

  handle(name: CommandName, handler: Handler): this {
    this.handlers.set(name, handler);
    return this;
  }

  async invoke(name: CommandName, args: unknown): Promise<unknown> {
    this.calls.push({ name, args });
    const handler = this.handlers.get(name);
    const answer = () => {
      if (!handler)
        return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: 'No fake for ' + name } };
      try {
        return { ok: true, value: handler(args) };
      } catch (e) {
        return { ok: false, error: e };
      }
    };
    if (!this.holding) return answer();
    return new Promise((resolve) => this.held.push(() => resolve(answer())));
  }

  /** Releases held answers, last first when `reverse` (a late answer to an old request). */
  release(reverse = false): void {
    const pending = this.held.splice(0);
    for (const r of reverse ? pending.reverse() : pending) r();
  }

  on(event: EventName, listener: (payload: unknown) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  emit(event: EventName, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  callsOf(name: CommandName): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args);
  }
}

/** Lets pending promise callbacks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i += 1) await Promise.resolve();
}
