import { expect } from 'chai';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { loadKgDataset } from '../../kg-data/loader';
import { DATASETS, datasetFile, getDataset } from '../../kg-data/registry';
import { buildTrainGraph, relationStats } from '../../kg-data/graph';
import { needsRealData } from '../real_data';

describe('kg-data registry datasets on the real data (MMKGE_DATA)', () => {
  it('WN9-IMG has the published counts and maps the h,t,r columns correctly', async function () {
    needsRealData(this, 'wn9-img');
    const ds = await loadKgDataset('wn9-img');
    const e = DATASETS['wn9-img'].expected;
    expect(e).to.deep.equal({ entities: 6555, relations: 9, train: 11741, valid: 1337, test: 1319 });
    expect(ds.entities.length).to.equal(e.entities);
    expect(ds.relations.length).to.equal(e.relations);
    expect([ds.train.length / 3, ds.valid.length / 3, ds.test.length / 3]).to.deep.equal([e.train, e.valid, e.test]);
    // ids follow entity2id.txt / relation2id.txt
    expect(ds.entities[0]).to.equal('n12513613');
    expect(ds.entities[1]).to.equal('n00453935');
    expect(ds.relations[0]).to.equal('_derivationally_related_form');
    // first line of train.txt: n11669921 <TAB> n11992806 <TAB> _hyponym (head, tail, relation)
    const [h, r, t] = ds.train.subarray(0, 3);
    expect([ds.entities[h], ds.relations[r], ds.entities[t]]).to.deep.equal(['n11669921', '_hyponym', 'n11992806']);
    const [vh, vr, vt] = ds.valid.subarray(0, 3);
    expect([ds.entities[vh], ds.relations[vr], ds.entities[vt]]).to.deep.equal(['n09809749', '_hypernym', 'n10317007']);
    const [th, tr, tt] = ds.test.subarray(0, 3);
    expect([ds.entities[th], ds.relations[tr], ds.entities[tt]]).to.deep.equal(['n02261757', '_hypernym', 'n02261419']);
    expect(ds.entityNames?.[0]).to.equal('Judas tree, love tree, Circis siliquastrum');
    expect(ds.unnamedEntities).to.equal(0);
    // _hyponym / _hypernym are 1-N / N-1
    const stats = relationStats(buildTrainGraph(ds), ds.relations.length);
    expect(stats[ds.relationIndex.get('_hyponym') as number].category).to.equal('1-N');
    expect(stats[ds.relationIndex.get('_hypernym') as number].category).to.equal('N-1');
  });

  it('WN9-IMG text embeddings have one 100-d row per entity in entity-id order', async function () {
    needsRealData(this, 'wn9-img');
    const d = getDataset('wn9-img');
    const ds = await loadKgDataset('wn9-img');
    const text = zlib.gunzipSync(fs.readFileSync(datasetFile(d, d.textFeatures.doc2vec.file))).toString('utf8');
    const rows = text.split(/\r\n|\r|\n/).filter((l) => l !== '');
    expect(rows).to.have.length(6555);
    for (const i of [0, 1, 6554]) {
      const [key, vec] = rows[i].split('\t');
      expect(key).to.equal(ds.entities[i]);
      expect(vec.split(' ')).to.have.length(100);
    }
  });

  it('FB-IMG has the published counts, ids from ent_id/rel_id and names for every entity', async function () {
    needsRealData(this, 'fb-img');
    const ds = await loadKgDataset('fb-img');
    const e = DATASETS['fb-img'].expected;
    expect(e).to.deep.equal({ entities: 11757, relations: 1231, train: 285850, valid: 29580, test: 34863 });
    expect(ds.entities.length).to.equal(e.entities);
    expect(ds.relations.length).to.equal(e.relations);
    expect([ds.train.length / 3, ds.valid.length / 3, ds.test.length / 3]).to.deep.equal([e.train, e.valid, e.test]);
    expect(ds.entities[0]).to.equal('/m/010016');
    expect(ds.entities[1]).to.equal('/m/0100mt');
    const [h, r, t] = ds.train.subarray(0, 3);
    expect([ds.entities[h], ds.relations[r], ds.entities[t]]).to.deep.equal([
      '/m/017dcd',
      '/tv/tv_program/regular_cast./tv/regular_tv_appearance/actor',
      '/m/06v8s0',
    ]);
    expect(ds.unnamedEntities).to.equal(0);
    expect(ds.entityNames).to.have.length(11757);
    // 15 relations occur only in valid/test (README), so 1,216 relations in train.
    const inTrain = new Set<number>();
    for (let i = 1; i < ds.train.length; i += 3) inTrain.add(ds.train[i]);
    expect(inTrain.size).to.equal(1216);
  });
});
