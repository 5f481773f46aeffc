import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChangeRecords, checkPages, checkSearchIndex } from '../../electron/cli/checks';
import { deleteRecord, insertRecord, updateRecord } from '../../electron/core/db/changes';
import type { PulledMessage } from '../../shared/sync/protocol';
import type { Replica } from '../support/sync-replica';
import { loadReplicaCrypto, ReplicaFactory } from '../support/sync-replica';

/**
 * Convergence of the merge, property-based: 3-5 replicas make random edits to the same and to
 * different rows and columns (patients, their phones, tombstones, insert-only rows), exchange
 * their changes through the real outbox (numbered, sealed) and the real open-and-apply path, in
 * random order, in random batches, with duplicates, across restarts, with some replicas cut off
 * for a while. Once every replica has seen every change, all hold identical data, byte for byte
 * in a canonical dump, and each passes the checks of `enamel verify`.
 *
 * The relay is left out here to afford hundreds of runs: it only orders and carries messages
 * (its own suite covers that), and delivery here is more hostile than the relay allows (any
 * order, an update before its row's insert). sync-cores.test.ts runs whole workstations
 * through a real relay.
 */
const RUNS = 150;

let factory: ReplicaFactory;

beforeAll(async () => {
  await loadReplicaCrypto();
  factory = new ReplicaFactory();
});
afterAll(() => factory.dispose());

const GIVEN = ['Ana', 'Zoë', 'Ola', 'Li'];
const FAMILY = ['Müller', 'Nowak', 'Silva', 'Ng'];
const PHONES = ['+447911123456', '+442079460958', '+33612345678', '+4915112345678'];
const TEXT = ['', 'Prefers mornings', 'Anxious', 'Line one\nline two 🦷', 'x'.repeat(300)];

type Step =
  | { kind: 'create'; replica: number; given: number; family: number }
  | {
      kind: 'edit';
      replica: number;
      pick: number;
      column: 'given_names' | 'family_name' | 'notes' | 'email' | 'preferred_name';
      value: number;
    }
  | { kind: 'addPhone'; replica: number; pick: number; phone: number }
  | { kind: 'editPhone'; replica: number; pick: number; phone: number }
  | { kind: 'dropPhone'; replica: number; pick: number }
  | { kind: 'archive'; replica: number; pick: number }
  | { kind: 'acknowledge'; replica: number; pick: number }
  | { kind: 'send'; replica: number }
  | { kind: 'deliver'; replica: number; picks: number[]; batch: number }
  | { kind: 'restart'; replica: number }
  | { kind: 'partition'; replica: number; steps: number };

function stepArb(replicas: number): fc.Arbitrary<Step> {
  const replica = fc.nat({ max: replicas - 1 });
  // Mostly the first few rows, so replicas often write the same row and column.
  const pick = fc.oneof(
    { weight: 3, arbitrary: fc.nat({ max: 2 }) },
    { weight: 1, arbitrary: fc.nat() },
  );
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('create' as const),
        replica,
        given: fc.nat(3),
        family: fc.nat(3),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('edit' as const),
        replica,
        pick,
        column: fc.constantFrom('given_names', 'family_name', 'notes', 'email', 'preferred_name'),
        value: fc.nat(4),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('addPhone' as const),
        replica,
        pick,
        phone: fc.nat(3),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('editPhone' as const),
        replica,
        pick,
        phone: fc.nat(3),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropPhone' as const), replica, pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('archive' as const), replica, pick }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('acknowledge' as const), replica, pick }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), replica }) },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('deliver' as const),
        replica,
        picks: fc.array(fc.nat(), { maxLength: 30 }),
        batch: fc.integer({ min: 1, max: 8 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), replica }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('partition' as const),
        replica,
        steps: fc.integer({ min: 1, max: 10 }),
      }),
    },
  );
}

/** A deterministic shuffle from the run's seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function localEdit(r: Replica, step: Step): Promise<void> {
  const patients = r.ids('patient');
  const w = r.writer;
  const reindex = (id: string) => {
    r.changeApplier.search.reindex(id);
  };
  await r.store.db.transaction().execute(async (tx) => {
    switch (step.kind) {
      case 'create': {
        const { id } = await insertRecord(tx, w, 'patient', {
          chart_number: String(1000 + patients.length),
          given_names: GIVEN[step.given]!,
          family_name: FAMILY[step.family]!,
          date_of_birth: '1985-03-12',
          sex: 'female',
          status: 'active',
          name_key: '',
        });
        await insertRecord(tx, w, 'patient_phone', {
          patient_id: id,
          e164: PHONES[step.given]!,
          type: 'mobile',
          preferred: 1,
        });
        reindex(id);
        return;
      }
      case 'edit': {
        const id = patients[step.pick % Math.max(1, patients.length)];
        if (!id) return;
        const text = TEXT[step.value]!;
        const value =
          step.column === 'given_names'
            ? GIVEN[step.value % GIVEN.length]!
            : step.column === 'family_name'
              ? FAMILY[step.value % FAMILY.length]!
              : text === ''
                ? null
                : text;
        await updateRecord(tx, w, 'patient', id, { [step.column]: value });
        reindex(id);
        return;
      }
      case 'addPhone': {
        const id = patients[step.pick % Math.max(1, patients.length)];
        if (!id) return;
        await insertRecord(tx, w, 'patient_phone', {
          patient_id: id,
          e164: PHONES[step.phone]!,
          type: 'home',
          preferred: 0,
        });
        reindex(id);
        return;
      }
      case 'editPhone':
      case 'dropPhone': {
        const phones = r.ids('patient_phone');
        const id = phones[step.pick % Math.max(1, phones.length)];
        if (!id) return;
        if (step.kind === 'editPhone')
          await updateRecord(tx, w, 'patient_phone', id, { e164: PHONES[step.phone]! });
        else await deleteRecord(tx, w, 'patient_phone', id);
        const owner = r.store.sqlite
          .prepare('SELECT patient_id FROM patient_phone WHERE id = ?')
          .pluck()
          .get(id) as string;
        reindex(owner);
        return;
      }
      case 'archive': {
        const id = patients[step.pick % Math.max(1, patients.length)];
        if (!id) return;
        await deleteRecord(tx, w, 'patient', id);
        reindex(id);
        return;
      }
      case 'acknowledge': {
        await insertRecord(tx, w, 'conflict_acknowledgement', {
          conflict_id: `chair:${step.pick}`,
          appointment_id: `a-${step.pick % 3}`,
          other_appointment_id: `b-${step.pick % 5}`,
          reason: TEXT[step.pick % TEXT.length] || 'ok',
          acknowledged_by: null,
          acknowledged_at: Date.now(),
        });
        return;
      }
      default:
        return;
    }
  });
}

describe('convergence of the merge (property-based)', () => {
  it('leaves every replica with identical data once all changes are delivered, whatever the order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 5 }).chain((n) =>
          fc.record({
            replicas: fc.constant(n),
            steps: fc.array(stepArb(n), { minLength: 5, maxLength: 45 }),
            seed: fc.nat(),
            duplicates: fc.integer({ min: 0, max: 3 }),
          }),
        ),
        async ({ replicas: n, steps, seed, duplicates }) => {
          const replicas: Replica[] = [];
          try {
            for (let i = 0; i < n; i++) replicas.push(await factory.create());
            /** Every message sent so far, as the relay would number them. */
            const log: PulledMessage[] = [];
            const send = async (r: Replica) => {
              for (const m of await r.send())
                log.push({ serverSeq: log.length + 1, header: m.header, payload: m.payload });
            };
            for (const [index, step] of steps.entries()) {
              const r = replicas[step.replica]!;
              const cutOff = r.cutOffUntil >= index;
              switch (step.kind) {
                case 'send':
                  if (!cutOff) await send(r);
                  break;
                case 'deliver': {
                  if (cutOff || log.length === 0) break;
                  const chosen = step.picks.map((p) => log[p % log.length]!);
                  for (let i = 0; i < chosen.length; i += step.batch)
                    await r.deliver(chosen.slice(i, i + step.batch));
                  break;
                }
                case 'restart':
                  await r.restart();
                  break;
                case 'partition':
                  r.cutOffUntil = index + step.steps;
                  break;
                default:
                  await localEdit(r, step);
              }
            }
            // The network heals: everyone sends, then everyone receives everything, shuffled,
            // some of it more than once, in batches.
            for (const r of replicas) await send(r);
            const firsts = new Set<PulledMessage>();
            const seenRows = new Set<string>();
            for (const m of log) {
              const row = `${m.header.table}/${m.header.rowId}`;
              if (!seenRows.has(row)) firsts.add(m);
              seenRows.add(row);
            }
            for (const [i, r] of replicas.entries()) {
              const extra = shuffled(log, seed + i).slice(0, duplicates * 3);
              const edits = [...log.filter((m) => !firsts.has(m)), ...extra];
              const mode = (seed + i) % 3;
              // Any order at all; or rows first, then edits in any order; or rows first, then
              // edits newest first (every late edit then meets a newer one already applied).
              const all =
                mode === 0
                  ? shuffled([...log, ...extra], seed + 17 * i)
                  : [
                      ...shuffled([...firsts], seed + i),
                      ...(mode === 1
                        ? shuffled(edits, seed + 5 * i)
                        : edits.sort((x, y) => (x.header.hlc < y.header.hlc ? 1 : -1))),
                    ];
              for (let k = 0; k < all.length; k += 7) await r.deliver(all.slice(k, k + 7));
            }
            const dumps = replicas.map((r) => r.dump());
            for (const d of dumps.slice(1)) expect(d).toBe(dumps[0]);
            for (const r of replicas) {
              const sqlite = r.store.sqlite;
              const repeats = sqlite
                .prepare(
                  `SELECT count(*) FROM (SELECT 1 FROM change_log
                     GROUP BY table_name, row_id, hlc HAVING count(*) > 1)`,
                )
                .pluck()
                .get();
              expect(repeats, 'a change applied twice').toBe(0);
              const problems = [
                checkPages(sqlite),
                checkSearchIndex(sqlite),
                checkChangeRecords(sqlite),
              ].flatMap((c) => c.problems);
              expect(problems).toEqual([]);
            }
          } finally {
            for (const r of replicas) await r.dispose();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
