/**
 * Worker-thread entry for `KernelPool` (compiled to dist/eval/kernel_worker.js; never imported).
 * Reads the shared entity table once from workerData, then for each batch message claims blocks
 * of queries from a shared atomic counter until none are left, scores them with its own
 * BlockScorer (WebAssembly SIMD for l1 and complex-l1, typed-array loops otherwise) and writes ranks into the
 * shared results array. No tfjs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RankForm } from '../src/scorer';
import { makeBlockScorer, rankWithKernels } from './score_kernels';
import type { BatchMessage, KernelWorkerData, WorkerReply } from './kernel_pool';

const { form, entities, n, width } = workerData as KernelWorkerData;
const scorer = makeBlockScorer(form as RankForm, entities, n, width);

parentPort!.on('message', (msg: BatchMessage) => {
  let reply: WorkerReply;
  try {
    const batch = msg.batch;
    for (;;) {
      // Claim the next `claim` queries; which worker ranks a query never changes its result.
      const from = Atomics.add(msg.counter, 0, msg.claim);
      if (from >= batch.count) break;
      rankWithKernels(scorer, msg.queries, batch, from, Math.min(batch.count, from + msg.claim));
    }
    reply = { id: msg.id };
  } catch (err) {
    const e = err as Error;
    // Stop the other workers early: nothing is left to claim once a batch has failed.
    Atomics.store(msg.counter, 0, msg.batch.count);
    reply = { id: msg.id, error: e.message, errorName: e.name };
  }
  parentPort!.postMessage(reply);
});
