import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { FetchLike } from '../../electron/core/sync/transport';
import { patientInput } from '../support/core';
import {
  createClinicOn,
  dump,
  join,
  reopen,
  startLoopbackRelay,
  syncAll,
  verifyProblems,
  workstation,
  type LoopbackRelay,
  type Workstation,
} from '../support/sync';

/**
 * Whole workstations (Cores) and a real relay on loopback, over an unreliable network: requests
 * fail before reaching the relay, or their answer is lost after the relay acted on them;
 * workstations are cut off for a while and restarted. Random edits to the same and different
 * patients and fields. Once the network heals, every workstation holds the same data, none has
 * anything left to send, and each passes the checks of `enamel verify`.
 * (sync-convergence.test.ts runs the merge itself through hundreds of harsher runs.)
 */
const RUNS = 20;
const REPLICAS = 3;

let relay: LoopbackRelay;
beforeAll(async () => {
  relay = await startLoopbackRelay();
});
afterAll(async () => {
  await relay.close();
});

/** A network that can be cut, and that drops a share of requests or of their answers. */
class Flaky {
  down = false;
  faulty = true;
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  private random(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
  readonly fetch: FetchLike = async (url, init) => {
    if (this.down) throw new TypeError('fetch failed: cut off');
    const roll = this.faulty ? this.random() : 1;
    if (roll < 0.1) throw new TypeError('fetch failed: request lost');
    const response = await fetch(url, init);
    if (roll < 0.2) {
      await response.body?.cancel();
      throw new TypeError('fetch failed: answer lost');
    }
    return response;
  };
}

const FIELDS = ['notes', 'email', 'familyName', 'givenNames', 'preferredName'] as const;
const VALUES = ['Nowak', 'Silva', 'ana@example.org', 'Prefers mornings', 'Li'];

type Step =
  | { kind: 'create'; at: number; name: number }
  | { kind: 'edit'; at: number; pick: number; field: number; value: number }
  | { kind: 'sync'; at: number }
  | { kind: 'cut'; at: number }
  | { kind: 'mend'; at: number }
  | { kind: 'restart'; at: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), at: fc.nat(REPLICAS - 1), name: fc.nat(4) }),
  fc.record({
    kind: fc.constant('edit' as const),
    at: fc.nat(REPLICAS - 1),
    pick: fc.nat(3),
    field: fc.nat(FIELDS.length - 1),
    value: fc.nat(VALUES.length - 1),
  }),
  fc.record({ kind: fc.constant('sync' as const), at: fc.nat(REPLICAS - 1) }),
  fc.record({ kind: fc.constant('sync' as const), at: fc.nat(REPLICAS - 1) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(REPLICAS - 1) }),
  fc.record({ kind: fc.constant('mend' as const), at: fc.nat(REPLICAS - 1) }),
  fc.record({ kind: fc.constant('restart' as const), at: fc.nat(REPLICAS - 1) }),
);

function patchFor(field: (typeof FIELDS)[number], value: string) {
  if (field === 'email') return { email: value.includes('@') ? value : null };
  return { [field]: value } as Record<string, string>;
}

describe('workstations over an unreliable network', () => {
  it('converge once the network heals, with nothing left to send', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 8, maxLength: 30 }),
        fc.nat(),
        async (steps, seed) => {
          const nets = Array.from({ length: REPLICAS }, (_, i) => new Flaky(seed + i));
          const stations: Workstation[] = [];
          const cores: Core[] = [];
          try {
            for (const net of nets) {
              const s = await workstation({ sync: { background: false, fetch: net.fetch } });
              stations.push(s);
              cores.push(s.core);
            }
            // Enrolment itself over a reliable network.
            for (const n of nets) n.faulty = false;
            await createClinicOn(cores[0]!, relay.url);
            for (const c of cores.slice(1)) await join(cores[0]!, c, relay.url);
            for (const n of nets) n.faulty = true;

            for (const s of steps) {
              const core = cores[s.at]!;
              switch (s.kind) {
                case 'create':
                  await core.call('patients.create', {
                    patient: patientInput({
                      givenNames: VALUES[s.name]!,
                      familyName: `Family${s.name}`,
                      phones: [],
                      alerts: [],
                    }),
                    duplicatesReviewed: true,
                  });
                  break;
                case 'edit': {
                  const list = await core.call('patients.list', { offset: 0, limit: 10 });
                  const target = list.items[s.pick % Math.max(1, list.items.length)];
                  if (!target) break;
                  const field = FIELDS[s.field]!;
                  await core.call('patients.update', {
                    id: target.id,
                    patch: patchFor(field, VALUES[s.value]!),
                  });
                  break;
                }
                case 'sync':
                  // Never throws: failures show in the status, and the next sync carries on.
                  await core.call('sync.now', {});
                  break;
                case 'cut':
                  nets[s.at]!.down = true;
                  break;
                case 'mend':
                  nets[s.at]!.down = false;
                  break;
                case 'restart': {
                  await core.close();
                  cores[s.at] = await reopen(stations[s.at]!.dir, {
                    sync: { background: false, fetch: nets[s.at]!.fetch },
                  });
                  stations[s.at]!.core = cores[s.at]!;
                  break;
                }
              }
            }

            for (const n of nets) {
              n.down = false;
              n.faulty = false;
            }
            await syncAll(cores, 6);
            const first = dump(cores[0]!);
            for (const c of cores.slice(1)) expect(dump(c)).toBe(first);
            for (const c of cores) {
              const status = await c.call('sync.status', {});
              expect(status).toMatchObject({ pending: 0, problems: 0, connection: 'online' });
              expect(await verifyProblems(c)).toEqual([]);
            }
          } finally {
            for (const s of stations) await s.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 180_000);
});
