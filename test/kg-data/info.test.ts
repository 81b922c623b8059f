import { expect } from 'chai';
import type { KgDataset } from '../../src/kg';
import { countDuplicateTriples, formatDatasetInfo, summarizeDataset } from '../../kg-data/info';
import { loadKgDataset } from '../../kg-data/loader';
import { needsRealData } from '../real_data';
import { fixture } from './helpers';

describe('kg-data/info', () => {
  it('summarizes the tiny fixture', async () => {
    const s = summarizeDataset(await loadKgDataset(fixture('tiny')));
    expect(s.entities).to.equal(4);
    expect(s.splits.map((p) => p.triples)).to.deep.equal([6, 1, 1]);
    expect(s.splits.map((p) => p.duplicates)).to.deep.equal([0, 0, 0]);
    expect(s.categories.find((c) => c.category === '1-N')).to.deep.equal({ category: '1-N', relations: 1, train: 3, test: 1 });
  });

  it('counts duplicates, unseen entities/relations and leakage', () => {
    const ds: KgDataset = {
      name: 'handmade',
      entities: ['a', 'b', 'c', 'd'],
      relations: ['r', 's'],
      entityIndex: new Map(),
      relationIndex: new Map(),
      train: Int32Array.from([0, 0, 1, 0, 0, 1, 1, 0, 2]),
      valid: Int32Array.from([0, 0, 1, 3, 0, 0]),
      test: Int32Array.from([0, 1, 2, 0, 1, 2]),
    };
    const [train, valid, test] = summarizeDataset(ds).splits;
    expect(train.duplicates).to.equal(1);
    expect(valid).to.deep.include({ alsoInTrain: 1, unseenEntities: 1, unseenRelations: 0, triplesWithUnseen: 1 });
    expect(test).to.deep.include({ duplicates: 1, unseenRelations: 1, triplesWithUnseen: 2, alsoInTrain: 0 });
    expect(countDuplicateTriples(ds.train, 4, 2)).to.equal(1);
    const text = formatDatasetInfo(ds);
    expect(text).to.contain('Dataset handmade');
    expect(text).to.match(/unseen\s+1\s+0\s+2/); // category table: 1 unseen relation, 2 test triples
  });

  it('prints counts, degree table, categories and top relations for WN9-IMG', async function () {
    needsRealData(this, 'wn9-img');
    const text = formatDatasetInfo(await loadKgDataset('wn9-img'), { top: 3 });
    expect(text).to.contain('entities: 6,555   relations: 9');
    expect(text).to.match(/train\s+11,741\s+0\s+6,555\s+9/);
    expect(text).to.match(/valid\s+1,337\s+0/);
    expect(text).to.match(/test\s+1,319\s+0/);
    expect(text).to.contain('Training graph: 6,555 nodes, 11,741 edges, 0 isolated entities');
    expect(text).to.match(/1-N\s+3\s+5,213/);
    expect(text).to.contain('Top 3 relations');
    expect(text).to.match(/_hypernym\s+5,162\s+1\.02\s+2\.96\s+N-1/);
    expect(text).to.contain('Xie');
  });
});
