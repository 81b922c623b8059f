import { expect } from 'chai';
import { KernelPool } from '../../eval/kernel_pool';
import { makeRankBatch } from '../../eval/rank_batch';

describe('eval/kernel_pool', () => {
  it('needs a SharedArrayBuffer table for worker threads', () => {
    expect(() => new KernelPool('l1', new Float32Array(4), 2, 2, 1)).to.throw(/SharedArrayBuffer/);
  });

  it('rejects an odd entity width for complex-l1', () => {
    expect(() => new KernelPool('complex-l1', new Float32Array(6), 2, 3, 0)).to.throw(/even/);
  });

  it('ranks in the calling thread with workers = 0 (l1, hand-computed)', async () => {
    // entities 0: (0,0), 1: (1,1), 2: (3,0); query (1,0) for triple (0,0,1): distances 1, 1, 2
    const pool = new KernelPool('l1', Float32Array.from([0, 0, 1, 1, 3, 0]), 3, 2, 0);
    const batch = makeRankBatch(Int32Array.from([0, 0, 1]), 0, 1, 'tail', undefined, false);
    await pool.run(batch, Float32Array.from([1, 0]));
    await pool.close();
    // truth 1 tied with entity 0: optimistic 1, pessimistic 2, no NaN
    expect(Array.from(batch.results)).to.deep.equal([1, 2, 0]);
  });
});
