import { expect } from 'chai';
import { FilterIndex } from '../../src/filter';
import { countReversedCandidates, reversedFilter, reversedTriples } from '../../eval/reversed';

// A chain 0 -> 1 -> 2 and 1 -> 5 under relation 0 (antisymmetric); the symmetric pairs 3 <-> 4
// and 3 <-> 5 under relation 1.
const known = Int32Array.from([0, 0, 1, 1, 0, 2, 3, 1, 4, 4, 1, 3, 1, 0, 5, 3, 1, 5, 5, 1, 3]);

describe('eval/reversed', () => {
  it('swaps head and tail of every triple', () => {
    expect(Array.from(reversedTriples([Int32Array.from([0, 2, 1, 7, 3, 9])])[0])).to.deep.equal([1, 2, 0, 9, 3, 7]);
  });

  it('counts the reversed candidates of each query, never the answer or a known answer', () => {
    const filter = new FilterIndex(6, 2, [known]);
    // (1, 0, 2): tail query (1, 0, ?) has the reversed candidate 0 ((0, 0, 1) is known, (1, 0, 0)
    // is not); head query (?, 0, 2) has none (nothing leaves 2).
    // (0, 0, 1): tail query (0, 0, ?) has none; head query (?, 0, 1) has 2 and 5 (1 -> 2, 1 -> 5).
    // (3, 1, 4): symmetric, so the reversal of each candidate (5 for the tail query) is itself
    // known: none either way.
    const test = Int32Array.from([1, 0, 2, 0, 0, 1, 3, 1, 4]);
    const counts = countReversedCandidates(test, filter);
    expect(Array.from(counts.tail)).to.deep.equal([1, 0, 0]);
    expect(Array.from(counts.head)).to.deep.equal([0, 2, 0]);
  });

  it('filters the reversed candidates as known answers', () => {
    const wide = reversedFilter(6, 2, [known]);
    expect(Array.from(wide.tails(1, 0))).to.deep.equal([0, 2, 5]);
    expect(Array.from(wide.heads(0, 1))).to.deep.equal([0, 2, 5]);
    expect(Array.from(wide.tails(3, 1))).to.deep.equal([4, 5]);
  });
});
