/**
 * A TransE-L1 worker kernel that fails inside worker threads only (never in the main thread), for the
 * data-parallel step's error tests: `mode` 'throw' throws from every kernel call, 'exit' ends the
 * thread abruptly (process.exit), 'setup' fails in the factory.
 */
import { isMainThread } from 'node:worker_threads';
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { TransEL1Kernel } from '../../baselines/kg/transe_kernel';

export function failingKernel(args: { dim: number; mode: string }): WorkerKernel {
  if (args.mode === 'setup') throw new Error('injected setup failure');
  const inner = new TransEL1Kernel(args.dim);
  const fail = (): void => {
    if (isMainThread) return;
    if (args.mode === 'exit') process.exit(7);
    throw new Error('injected kernel failure');
  };
  const kernel: TripleKernel = {
    coordinates: args.dim,
    score: (E, h, R, r, t) => {
      fail();
      return inner.score(E, h, R, r, t);
    },
    backward: (...a) => inner.backward(...a),
    backwardSlice: (...a: Parameters<NonNullable<TripleKernel['backwardSlice']>>) => {
      fail();
      inner.backwardSlice(...(a.slice(0, 13) as Parameters<TransEL1Kernel['backwardSlice']>));
    },
  };
  return { kernel };
}
