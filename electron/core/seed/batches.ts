import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import type { HybridLogicalClock } from '../../../shared/hlc';
import type { BulkChain, ChainHead, Writer } from '../db/changes';
import { patientRows, stampPatientRows, type StampedPatientRows } from '../services/patients';
import { PatientGenerator, type GeneratorOptions, type GeneratorState } from './generate';

/** Generated patients as the seed writes them, with what it reports about them. */
export interface PatientBatch {
  stamped: StampedPatientRows;
  minorsWithGuardian: number;
}

/** The seed's batches, of the sizes planned, in order. Synchronous: see `batchesOnWorker`. */
export interface PatientBatches {
  next(): PatientBatch;
  /** How many of the batches so far a worker made. */
  fromWorker(): number;
  close(): Promise<void>;
}

/** What the generator needs besides its ids: plain data, which can go to a worker. */
export type GeneratorSettings = Omit<GeneratorOptions, 'newId'>;

/**
 * What stamps and audits the batches made on this thread: the store's clock, the audit chain as
 * it will be when they are written (batches are written in the order they are made), and the
 * time they are written at.
 */
export interface Stamping {
  clock: HybridLogicalClock;
  chain: BulkChain;
  at: () => string;
}

export function makeBatch(
  generator: PatientGenerator,
  size: number,
  newId: () => string,
  clock: HybridLogicalClock,
  chain: BulkChain,
  at: string,
): PatientBatch {
  const items = Array.from({ length: size }, () => generator.next());
  return {
    stamped: stampPatientRows(patientRows(items, newId), clock, chain, at),
    minorsWithGuardian: items.filter((p) => p.data.guardian !== null).length,
  };
}

function sizeOf(sizes: readonly number[], index: number): number {
  const size = sizes[index];
  if (size === undefined) throw new Error('More patients were asked for than planned');
  return size;
}

/** Makes every batch on this thread. */
export function batchesHere(
  settings: GeneratorSettings,
  newId: () => string,
  sizes: readonly number[],
  stamping: Stamping,
): PatientBatches {
  const generator = new PatientGenerator({ ...settings, newId });
  let index = 0;
  return {
    next: () =>
      makeBatch(
        generator,
        sizeOf(sizes, index++),
        newId,
        stamping.clock,
        stamping.chain,
        stamping.at(),
      ),
    fromWorker: () => 0,
    close: () => Promise.resolve(),
  };
}

/** Between the seed and its worker (./batch-worker.ts): requests for the next batch. */
export interface ToWorker {
  size: number;
  at: string;
  /** A fresh stamp of the store's clock: the worker's clock goes on from it. */
  stamp: string;
  /** With the first request: the generator, clock and audit chain as the worker takes them over. */
  from?: { generator: GeneratorState; clock: string; chain: ChainHead };
}
export type FromWorker = { ready: true } | { batch: PatientBatch } | { error: string };

export interface WorkerData {
  settings: GeneratorSettings;
  writer: Pick<Writer, 'deviceId' | 'actorId'>;
  node: string;
  /** Where the worker answers; it bumps `answers[0]` and wakes the seed after each answer. */
  port: MessagePort;
  answers: Int32Array;
  loader: string;
  entry: string;
}

/** Batches the worker works ahead of the one being written. */
const AHEAD = 2;

/** The longest the seed waits for one batch before giving up on the worker. */
const BATCH_TIMEOUT_MS = 120_000;

/**
 * The worker starts in plain JavaScript: it registers the TypeScript loader the seed runs under,
 * then loads its entry. Failing to start is answered like any other failure.
 */
const BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.loader)
  .then((loader) => { loader.register(); return import(workerData.entry); })
  .catch((e) => {
    workerData.port.postMessage({ error: String((e && e.stack) || e) });
    Atomics.add(workerData.answers, 0, 1);
    Atomics.notify(workerData.answers, 0);
  });
`;

/**
 * Makes the batches on a worker thread, generating, stamping and chaining their audit events, so
 * that making the next batch overlaps writing this one when the machine has a core to spare.
 * Until the worker has started, batches are made here; then it takes over the generator (its
 * random stream and the adults it may name as guardians), the clock and the chain from where the
 * last batch made here left them, so the patients are those `batchesHere` makes. Each batch
 * written moves the store's clock past its stamps, and the recorder checks its events continue
 * the stored chain.
 * The seed waits for a batch by blocking (Atomics.wait), never by yielding, so nothing else runs
 * inside its open transaction. If the worker fails before its first batch (where there is no
 * TypeScript loader, say), the batches are made here after all; null when no worker can be made.
 */
export function batchesOnWorker(
  settings: GeneratorSettings,
  newId: () => string,
  sizes: readonly number[],
  stamping: Stamping,
  writer: Pick<Writer, 'deviceId' | 'actorId'>,
  /** Wait for the worker to start rather than make the first batches here (for tests). */
  waitForStart = false,
): PatientBatches | null {
  let loader: string;
  let entry: string;
  try {
    loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
    entry = new URL('./batch-worker.ts', import.meta.url).href;
  } catch {
    return null;
  }
  const { port1, port2 } = new MessageChannel();
  const answers = new Int32Array(new SharedArrayBuffer(4));
  const data: WorkerData = {
    settings,
    writer: { deviceId: writer.deviceId, actorId: writer.actorId },
    node: stamping.clock.node,
    port: port2,
    answers,
    loader,
    entry,
  };
  const worker = new Worker(BOOT, { eval: true, workerData: data, transferList: [port2] });
  // Failures come back as answers; neither the worker nor its port keeps the process alive.
  worker.on('error', () => undefined);
  worker.unref();
  port1.unref();
  const here = new PatientGenerator({ ...settings, newId });
  const { clock, chain } = stamping;
  let index = 0;
  /** The batches asked of the worker so far (the next one to ask for). */
  let asked = 0;
  let received = 0;
  let fromWorker = 0;
  let mode: 'starting' | 'worker' | 'here' = 'starting';

  /** Keeps the worker AHEAD batches ahead of the one being written. */
  const ask = () => {
    for (; asked < sizes.length && asked < index + AHEAD; asked++)
      port1.postMessage({
        size: sizes[asked]!,
        at: stamping.at(),
        stamp: clock.now(),
        ...(asked === index
          ? { from: { generator: here.state(), clock: clock.lastIssued, chain: chain.head } }
          : {}),
      } satisfies ToWorker);
  };
  const poll = (): FromWorker | null => {
    const message = receiveMessageOnPort(port1);
    if (!message) return null;
    received += 1;
    return message.message as FromWorker;
  };
  const wait = (): FromWorker => {
    for (;;) {
      const reply = poll();
      if (reply) return reply;
      if (Atomics.wait(answers, 0, received, BATCH_TIMEOUT_MS) === 'timed-out')
        return { error: 'it stopped answering' };
    }
  };
  const makeHere = (size: number): PatientBatch => {
    index += 1;
    return makeBatch(here, size, newId, clock, chain, stamping.at());
  };
  const giveUp = () => {
    mode = 'here';
    void worker.terminate();
  };

  return {
    next() {
      const size = sizeOf(sizes, index);
      if (mode === 'starting') {
        // Batches are made here until the worker has started; from then on it makes the next
        // one while this one is written.
        const reply = waitForStart ? wait() : poll();
        if (reply === null || 'ready' in reply) {
          const batch = makeHere(size);
          if (reply) {
            mode = 'worker';
            asked = index;
            ask();
          }
          return batch;
        }
        giveUp();
      }
      if (mode === 'worker') {
        const reply = wait();
        if ('batch' in reply && reply.batch.stamped.rows.count === size) {
          fromWorker += 1;
          index += 1;
          ask();
          return reply.batch;
        }
        const reason = 'error' in reply ? reply.error : 'an unexpected answer';
        if (fromWorker > 0) throw new Error(`The patient generator failed: ${reason}`);
        // `here` made every batch so far, and the clock and chain are where it left them.
        giveUp();
      }
      return makeHere(size);
    },
    fromWorker: () => fromWorker,
    async close() {
      port1.close();
      await worker.terminate();
    },
  };
}
