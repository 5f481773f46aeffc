import { workerData } from 'node:worker_threads';
import { decodeHlc, HybridLogicalClock } from '../../../shared/hlc';
import { loadSodium } from '../crypto/sodium';
import { BulkChain } from '../db/changes';
import { makeBatch, type FromWorker, type ToWorker, type WorkerData } from './batches';
import { PatientGenerator } from './generate';
import { bulkIdFactory } from './ids';

/**
 * The seed's patient generator on a worker thread (see `batchesOnWorker` in ./batches.ts): it
 * replays the batches the seed made itself, with the same ids, then makes, stamps and chains one
 * batch per request, going on from the clock and the audit chain the first request hands over.
 */
const { settings, writer, node, port, answers } = workerData as WorkerData;
const sodium = await loadSodium();
const fresh = bulkIdFactory();
let replayed: readonly string[] = [];
let next = 0;
const generator = new PatientGenerator({
  ...settings,
  newId: () => (next < replayed.length ? replayed[next++]! : fresh()),
});
/** The store's time as the seed last told it: the clock here never runs ahead of it. */
let wall = 0;
let clock: HybridLogicalClock | null = null;
let chain: BulkChain | null = null;

function reply(message: FromWorker): void {
  port.postMessage(message);
  Atomics.add(answers, 0, 1);
  Atomics.notify(answers, 0);
}

port.on('message', (message: ToWorker) => {
  try {
    if ('replay' in message) {
      replayed = message.replay;
      next = 0;
      for (let i = 0; i < replayed.length; i++) generator.next();
      replayed = [];
      return;
    }
    wall = decodeHlc(message.stamp).millis;
    if (message.from) {
      clock = new HybridLogicalClock(node, () => wall, message.from.clock);
      chain = new BulkChain(sodium, message.from.chain, writer, fresh);
    }
    if (!clock || !chain) throw new Error('Asked for a batch before being handed the clock');
    clock.receive(message.stamp);
    reply({ batch: makeBatch(generator, message.size, fresh, clock, chain, message.at) });
  } catch (e) {
    reply({ error: String((e as Error).stack ?? e) });
  }
});

reply({ ready: true });
