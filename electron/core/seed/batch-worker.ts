import { workerData } from 'node:worker_threads';
import { decodeHlc, HybridLogicalClock } from '../../../shared/hlc';
import { loadSodium } from '../crypto/sodium';
import { BulkChain } from '../db/changes';
import { makeBatch, type FromWorker, type ToWorker, type WorkerData } from './batches';
import { PatientGenerator } from './generate';
import { bulkIdFactory } from './ids';

/**
 * The seed's patient generator on a worker thread (see `batchesOnWorker` in ./batches.ts): it
 * makes, stamps and chains one batch per request, going on from the generator, clock and audit
 * chain the first request hands over.
 */
const { settings, writer, node, port, answers } = workerData as WorkerData;
const sodium = await loadSodium();
const fresh = bulkIdFactory();
const generator = new PatientGenerator({ ...settings, newId: fresh });
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
    wall = decodeHlc(message.stamp).millis;
    if (message.from) {
      generator.restore(message.from.generator);
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
