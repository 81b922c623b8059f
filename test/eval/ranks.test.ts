import { expect } from 'chai';
import { computeRank, NaNScoreError, RANK_SLOTS, rankRow, realisticRank } from '../../eval/ranks';
import { Rng } from '../../src/rng';

const f32 = (xs: number[]) => Float32Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

describe('eval/ranks', () => {
  it('distinct scores: optimistic = pessimistic = 1 + #better', () => {
    // true = index 2 (0.5); better: 0.9, 0.7
    expect(computeRank(f32([0.1, 0.9, 0.5, 0.7]), 2)).to.deep.equal({ optimistic: 3, pessimistic: 3, realistic: 3, nanCandidates: 0 });
    // the best candidate
    expect(computeRank(f32([0.1, 0.9, 0.5, 0.7]), 1)).to.deep.equal({ optimistic: 1, pessimistic: 1, realistic: 1, nanCandidates: 0 });
  });

  it('all-equal scores: optimistic 1, pessimistic n, realistic (1+n)/2', () => {
    expect(computeRank(f32([5, 5, 5, 5]), 1)).to.deep.equal({ optimistic: 1, pessimistic: 4, realistic: 2.5, nanCandidates: 0 });
    // filtering 0 and 2 (and the truth 1, which must stay) leaves the truth tied with entity 3
    expect(computeRank(f32([5, 5, 5, 5]), 1, i32([0, 1, 2]))).to.deep.equal({ optimistic: 1, pessimistic: 2, realistic: 1.5, nanCandidates: 0 });
    // single candidate
    expect(computeRank(f32([7]), 0)).to.deep.equal({ optimistic: 1, pessimistic: 1, realistic: 1, nanCandidates: 0 });
  });

  it('truth tied with filtered candidates: the filtered ties disappear', () => {
    const s = f32([1, 2, 2, 2, 0]);
    expect(computeRank(s, 1)).to.deep.equal({ optimistic: 1, pessimistic: 3, realistic: 2, nanCandidates: 0 });
    expect(computeRank(s, 1, i32([2, 3]))).to.deep.equal({ optimistic: 1, pessimistic: 1, realistic: 1, nanCandidates: 0 });
    // only one of the two tied ones filtered
    expect(computeRank(s, 1, i32([3]))).to.deep.equal({ optimistic: 1, pessimistic: 2, realistic: 1.5, nanCandidates: 0 });
  });

  it('ties below and above: better and tied counted separately', () => {
    // truth index 3 (score 2): better {0:3, 4:3}, tied {1, 2}
    const s = f32([3, 2, 2, 2, 3, 1]);
    expect(computeRank(s, 3)).to.deep.equal({ optimistic: 3, pessimistic: 5, realistic: 4, nanCandidates: 0 });
    // filter a better one and a tied one
    expect(computeRank(s, 3, i32([1, 4]))).to.deep.equal({ optimistic: 2, pessimistic: 3, realistic: 2.5, nanCandidates: 0 });
  });

  it('filtering better candidates improves the rank; filtering worse ones changes nothing', () => {
    const s = f32([0.1, 0.9, 0.5, 0.7]);
    expect(computeRank(s, 2, i32([1])).optimistic).to.equal(2);
    expect(computeRank(s, 2, i32([1, 3])).optimistic).to.equal(1);
    expect(computeRank(s, 2, i32([0])).optimistic).to.equal(3);
    // the truth in the list is never excluded
    expect(computeRank(s, 2, i32([2])).optimistic).to.equal(3);
  });

  it('duplicate filter ids are subtracted once', () => {
    const s = f32([0.1, 0.9, 0.5, 0.7]);
    expect(computeRank(s, 2, i32([1, 1, 3, 3]))).to.deep.equal(computeRank(s, 2, i32([1, 3])));
  });

  it('NaN candidates count as better than the truth (never a silent rank 1)', () => {
    expect(computeRank(f32([0.1, NaN, 0.5]), 2)).to.deep.equal({ optimistic: 2, pessimistic: 2, realistic: 2, nanCandidates: 1 });
    // all other candidates NaN: worst rank, not best
    expect(computeRank(f32([NaN, NaN, 0.5]), 2)).to.deep.equal({ optimistic: 3, pessimistic: 3, realistic: 3, nanCandidates: 2 });
    // a filtered NaN candidate is simply removed
    expect(computeRank(f32([0.1, NaN, 0.5]), 2, i32([1]))).to.deep.equal({ optimistic: 1, pessimistic: 1, realistic: 1, nanCandidates: 0 });
  });

  it('a NaN true score throws NaNScoreError', () => {
    expect(() => computeRank(f32([0.1, NaN, 0.5]), 1)).to.throw(NaNScoreError, /NaN score/);
  });

  it('infinite scores tie with each other', () => {
    expect(computeRank(f32([Infinity, 0, Infinity]), 0)).to.deep.equal({ optimistic: 1, pessimistic: 2, realistic: 1.5, nanCandidates: 0 });
    expect(computeRank(f32([-Infinity, 0, -Infinity]), 0)).to.deep.equal({ optimistic: 2, pessimistic: 3, realistic: 2.5, nanCandidates: 0 });
  });

  it('rejects bad inputs', () => {
    expect(() => computeRank(f32([1, 2]), 2)).to.throw(RangeError);
    expect(() => computeRank(f32([1, 2, 3]), 0, i32([2, 1]))).to.throw(RangeError, /sorted/);
    expect(() => computeRank(f32([1, 2, 3]), 0, i32([3]))).to.throw(RangeError, /outside/);
    expect(() => computeRank(f32([1, 2, 3]), 0, i32([-1]))).to.throw(RangeError);
  });

  it('rankRow reads a row at an offset of a Float64Array and writes at outOffset', () => {
    const scores = Float64Array.from([9, 9, 9, /* row: */ 0.3, 0.1, 0.3, 0.2, /* after: */ 9]);
    const filter = i32([7, 2, 3, 8]); // the row's list is filter[1..3) = [2, 3]
    const out = new Int32Array(2 * RANK_SLOTS).fill(-1);
    rankRow(scores, 3, 4, 1, filter, 1, 3, out, RANK_SLOTS);
    // truth 1 (0.1); candidates left after filtering 2, 3: {0: 0.3} -> better 1
    expect(Array.from(out)).to.deep.equal([-1, -1, -1, 2, 2, 0]);
  });

  it('realisticRank is the mean', () => {
    expect(realisticRank(2, 5)).to.equal(3.5);
  });

  it('agrees with the definition on random rows with many ties and random filters', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.int(30);
      const s = new Float32Array(n);
      for (let j = 0; j < n; j++) s[j] = rng.next() < 0.05 ? NaN : rng.int(5);
      const truth = rng.int(n);
      while (Number.isNaN(s[truth])) s[truth] = rng.int(5);
      const filter: number[] = [];
      for (let j = 0; j < n; j++) if (rng.next() < 0.3) filter.push(j);
      // definition, straight from the formulas
      const t = s[truth];
      let gt = 0, ge = 0, nan = 0;
      for (let j = 0; j < n; j++) {
        if (j === truth || filter.includes(j)) continue;
        if (Number.isNaN(s[j])) nan++;
        else if (s[j] > t) gt++;
        else if (s[j] === t) ge++;
      }
      const want = { optimistic: 1 + gt + nan, pessimistic: 1 + gt + ge + nan };
      const got = computeRank(s, truth, Int32Array.from(filter));
      expect({ optimistic: got.optimistic, pessimistic: got.pessimistic }).to.deep.equal(want);
      expect(got.nanCandidates).to.equal(nan);
    }
  });
});
