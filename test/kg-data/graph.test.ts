import { expect } from 'chai';
import { bernoulliHeadProbabilities, buildKgGraph, buildTrainGraph, categoryOf, degreeStats, relationStats } from '../../kg-data/graph';
import { loadKgDataset } from '../../kg-data/loader';
import { fixture } from './helpers';

describe('kg-data/graph', () => {
  // tiny/train.tsv: a r1 b, b r1 c, c r2 d, d r2 a, a r2 c, b r1 d  (a=0 b=1 c=2 d=3, r1=0 r2=1)
  it('builds one node per entity and one edge per training triple', async () => {
    const ds = await loadKgDataset(fixture('tiny'));
    const g = buildTrainGraph(ds);
    expect(g.order).to.equal(4);
    expect(g.size).to.equal(6);
    expect(g.type).to.equal('directed');
    expect(g.multi).to.equal(true);
    const rels = g.edges('0', '2').map((e) => g.getEdgeAttribute(e, 'relation'));
    expect(rels).to.deep.equal([1]); // a r2 c
  });

  it('computes hand-checked tph / hpt / categories / Bernoulli on the tiny fixture', async () => {
    const ds = await loadKgDataset(fixture('tiny'));
    const stats = relationStats(buildTrainGraph(ds), ds.relations.length);
    // r1: pairs (a,b) (b,c) (b,d); heads {a,b}; tails {b,c,d} -> tph 3/2, hpt 3/3
    expect(stats[0]).to.deep.include({ relation: 0, count: 3, pairs: 3, heads: 2, tails: 3, tph: 1.5, hpt: 1, category: '1-N', symmetricFraction: 0 });
    // r2: pairs (c,d) (d,a) (a,c); 3 heads, 3 tails -> 1, 1
    expect(stats[1]).to.deep.include({ relation: 1, count: 3, pairs: 3, heads: 3, tails: 3, tph: 1, hpt: 1, category: '1-1', symmetricFraction: 0 });
    const p = bernoulliHeadProbabilities(stats);
    expect(p[0]).to.be.closeTo(1.5 / 2.5, 1e-6);
    expect(p[1]).to.be.closeTo(0.5, 1e-6);
  });

  it('computes hand-checked degree statistics on the tiny fixture', async () => {
    const ds = await loadKgDataset(fixture('tiny'));
    const d = degreeStats(buildTrainGraph(ds));
    // out: a 2, b 2, c 1, d 1; in: a 1, b 1, c 2, d 2
    expect(d.outDegree).to.deep.equal({ mean: 1.5, median: 1.5, max: 2 });
    expect(d.inDegree).to.deep.equal({ mean: 1.5, median: 1.5, max: 2 });
    expect(d.degree).to.deep.equal({ mean: 3, median: 3, max: 3 });
    expect(d.isolated).to.equal(0);
    expect(d.edges).to.equal(6);
  });

  // sym/train.tsv: a sib b, b sib a, a sib c, c sib c, a sib b (dup), d par a, d par b
  it('handles duplicates, self loops and symmetry', async () => {
    const ds = await loadKgDataset(fixture('sym'));
    const g = buildTrainGraph(ds);
    const [sib, par] = relationStats(g, ds.relations.length);
    // sib: 5 triples, 4 distinct pairs, heads {a,b,c}, tails {a,b,c}; reverse present for (a,b) (b,a) (c,c)
    expect(sib).to.deep.include({ count: 5, pairs: 4, heads: 3, tails: 3, category: '1-1', symmetricFraction: 0.75 });
    expect(sib.tph).to.be.closeTo(4 / 3, 1e-12);
    expect(sib.hpt).to.be.closeTo(4 / 3, 1e-12);
    // par: d -> a, d -> b
    expect(par).to.deep.include({ count: 2, pairs: 2, heads: 1, tails: 2, tph: 2, hpt: 1, category: '1-N', symmetricFraction: 0 });
    const d = degreeStats(g);
    // out: a 3, b 1, c 1, d 2; in: a 2, b 3, c 2, d 0 (the self loop counts once each way)
    expect(d.outDegree).to.deep.equal({ mean: 1.75, median: 1.5, max: 3 });
    expect(d.inDegree).to.deep.equal({ mean: 1.75, median: 2, max: 3 });
    expect(Array.from(bernoulliHeadProbabilities([sib, par]))).to.deep.equal([0.5, Math.fround(2 / 3)]);
  });

  it('gives unseen relations category unseen and Bernoulli 0.5; counts isolated entities', () => {
    const g = buildKgGraph(5, Int32Array.from([0, 0, 1, 0, 0, 2, 0, 0, 3]));
    const stats = relationStats(g, 2);
    expect(stats[0]).to.deep.include({ tph: 3, hpt: 1, category: '1-N' });
    expect(stats[1]).to.deep.include({ count: 0, tph: 0, hpt: 0, category: 'unseen' });
    expect(Array.from(bernoulliHeadProbabilities(stats))).to.deep.equal([0.75, 0.5]);
    expect(degreeStats(g).isolated).to.equal(1);
  });

  it('applies the 1.5 threshold on both sides', () => {
    expect(categoryOf(1.49, 1.49)).to.equal('1-1');
    expect(categoryOf(1.5, 1.0)).to.equal('1-N');
    expect(categoryOf(1.0, 1.5)).to.equal('N-1');
    expect(categoryOf(1.5, 1.5)).to.equal('N-N');
  });

  it('rejects entity ids out of range', () => {
    expect(() => buildKgGraph(2, Int32Array.from([0, 0, 2]))).to.throw(/outside 0\.\.1/);
  });
});
