import { expect } from 'chai';
import { RankAccumulator, summariseRanks } from '../../eval/metrics';

const close = (a: number, b: number) => expect(a).to.be.closeTo(b, 1e-12);

describe('eval/metrics', () => {
  it('MR, MRR, Hits@k on realistic ranks (fractional ranks thresholded like PyKEEN)', () => {
    const acc = new RankAccumulator();
    // realistic ranks: 1, 2.5, 4, 5.5, 10.5
    acc.add(1, 1);
    acc.add(2, 3);
    acc.add(4, 4);
    acc.add(1, 10);
    acc.add(10, 11);
    expect(acc.count).to.equal(5);
    const m = acc.metrics();
    close(m.mr, (1 + 2.5 + 4 + 5.5 + 10.5) / 5);
    close(m.mrr, (1 + 1 / 2.5 + 1 / 4 + 1 / 5.5 + 1 / 10.5) / 5);
    close(m['hits@1'], 1 / 5);
    // 2.5 <= 3 is a hit, 4 is not
    close(m['hits@3'], 2 / 5);
    // 10.5 > 10: not a hit at 10 even though the optimistic rank is 10
    close(m['hits@10'], 4 / 5);
    const b = acc.mrrBounds();
    close(b.optimistic, (1 + 1 / 2 + 1 / 4 + 1 + 1 / 10) / 5);
    close(b.pessimistic, (1 + 1 / 3 + 1 / 4 + 1 / 10 + 1 / 11) / 5);
    expect(b.optimistic).to.be.greaterThan(m.mrr);
    expect(b.pessimistic).to.be.lessThan(m.mrr);
  });

  it('a rank tied across the Hits@3 boundary (3.5) is not a hit@3', () => {
    const acc = new RankAccumulator();
    acc.add(3, 4);
    expect(acc.metrics()['hits@3']).to.equal(0);
    expect(acc.metrics()['hits@10']).to.equal(1);
  });

  it('empty accumulator gives NaN, not 0', () => {
    const m = new RankAccumulator().metrics();
    for (const v of Object.values(m)) expect(Number.isNaN(v)).to.equal(true);
  });

  it('summariseRanks pools head and tail into both; a missing direction is NaN', () => {
    const head = { optimistic: Int32Array.from([1, 2]), pessimistic: Int32Array.from([1, 3]), nanCandidates: 0 };
    const tail = { optimistic: Int32Array.from([4, 2]), pessimistic: Int32Array.from([4, 3]), nanCandidates: 2 };
    const r = summariseRanks({ head, tail }, { count: 2, seconds: 0.5, filtered: true });
    close(r.head.mr, 1.75);
    close(r.head.mrr, (1 + 0.4) / 2);
    close(r.tail.mr, 3.25);
    close(r.tail.mrr, (0.25 + 0.4) / 2);
    close(r.both.mr, 2.5);
    close(r.both.mrr, (1 + 0.4 + 0.25 + 0.4) / 4);
    close(r.both['hits@1'], 0.25);
    close(r.both['hits@3'], 0.75);
    close(r.both['hits@10'], 1);
    expect(r.count).to.equal(2);
    expect(r.seconds).to.equal(0.5);
    expect(r.filtered).to.equal(true);
    expect(r.nanCandidates).to.equal(2);

    const only = summariseRanks({ tail }, { count: 2, seconds: 0, filtered: false });
    expect(Number.isNaN(only.head.mrr)).to.equal(true);
    expect(only.both).to.deep.equal(only.tail);
  });
});
