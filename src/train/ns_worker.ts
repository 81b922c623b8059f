/**
 * Worker-thread entry of the data-parallel negative-sampling step (parallel_ns.ts; compiled to
 * dist/src/train/ns_worker.js, never imported). Each configure message rebuilds the scorer's kernel
 * from its recipe (`Scorer.workerKernel`) over the shared tables; then it works on claimed units of
 * each phase until the pool is disposed. No tfjs here: pure typed-array work.
 */
import { workerData } from 'node:worker_threads';
import { serveLockstep } from '../lockstep_pool';
import type { WorkerKernel } from '../scorer';
import { BatchWork, type WorkerSetup } from './parallel_ns';

serveLockstep(workerData, () => {
  let work: BatchWork | undefined;
  return {
    configure(message: unknown): void {
      const setup = message as WorkerSetup;
      const { module, factory, args } = setup.recipe;
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const make = (require(module) as Record<string, (a: unknown) => WorkerKernel>)[factory];
      if (typeof make !== 'function') throw new Error(`${module} exports no kernel factory '${factory}'`);
      const { kernel, constrainEntities } = make(args);
      work = new BatchWork(kernel, constrainEntities, setup);
    },
    work(phase: number, from: number, to: number): void {
      if (!work) throw new Error('not configured');
      work.work(phase, from, to);
    },
  };
});
