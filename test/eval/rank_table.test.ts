import { expect } from 'chai';
import { formatRankTable } from '../../eval/rank_table';
import type { RankMetrics } from '../../eval/metrics';

const metrics = (mr: number, mrr: number, h1: number, h3: number, h10: number): RankMetrics => ({ mr, mrr, 'hits@1': h1, 'hits@3': h3, 'hits@10': h10 });

describe('eval/rank_table', () => {
  it('one row per direction, MR to 1 decimal and the rest to 4, filtered by default', () => {
    const m = { head: metrics(1.75, 0.7, 0.5, 1, 1), tail: metrics(3.25, 0.325, 0, 0.5, 1), both: metrics(2.5, 0.5125, 0.25, 0.75, 1) };
    expect(formatRankTable('test', m).split('\n')).to.deep.equal([
      'test (filtered, realistic ranks)',
      '| direction | MR | MRR | H@1 | H@3 | H@10 |',
      '|---|---:|---:|---:|---:|---:|',
      '| head | 1.8 | 0.7000 | 0.5000 | 1.0000 | 1.0000 |',
      '| tail | 3.3 | 0.3250 | 0.0000 | 0.5000 | 1.0000 |',
      '| both | 2.5 | 0.5125 | 0.2500 | 0.7500 | 1.0000 |',
    ]);
  });

  it('says UNFILTERED when the ranking kept the other true answers', () => {
    const x = metrics(2, 0.5, 0, 1, 1);
    expect(formatRankTable('valid', { head: x, tail: x, both: x, filtered: false }).split('\n')[0]).to.equal('valid (UNFILTERED, realistic ranks)');
  });
});
