import { expect } from 'chai';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { loadModalityFeatures } from '../../kg-data/features';
import { pickledTexts, pickledVectors, unpickle } from '../../kg-data/pickle';
import { datasetFile, getDataset } from '../../kg-data/registry';
import { readKeyValueFile } from '../../kg-data/triples_reader';
import { needsRealData } from '../real_data';
import { fixture } from './helpers';

/** Fixtures written by Python 3 `pickle.dumps(..., protocol=3|4)` with numpy (test/fixtures/pickle). */
const pkl = (name: string): Buffer => fs.readFileSync(fixture('..', 'pickle', name));

describe('kg-data/pickle', () => {
  it('reads a pickled list of float32 numpy vectors (protocols 3 and 4)', () => {
    for (const name of ['vectors.pkl', 'vectors-p4.pkl']) {
      const m = pickledVectors(pkl(name), name);
      expect([m.rows, m.dim]).to.deep.equal([3, 3]);
      expect(Array.from(m.data)).to.deep.equal([0.5, -1.25, 3, Math.fround(1e-3), 2.5, -7, 0, 0, 0]);
    }
  });

  it('reads a pickled dict of strings, one line per value', () => {
    expect([...pickledTexts(pkl('texts.pkl'), 'texts.pkl')]).to.deep.equal([['n1', 'a dog'], ['n2', 'tab here and more']]);
  });

  it('refuses any global other than numpy arrays (nothing is executed) and truncated input', () => {
    expect(() => unpickle(pkl('evil.pkl'), 'evil.pkl')).to.throw(/evil\.pkl: byte \d+: refusing to load global 'posix system'/);
    const cut = pkl('vectors.pkl').subarray(0, 60);
    expect(() => unpickle(cut, 'cut.pkl')).to.throw(/cut\.pkl/);
  });

  it('is a feature format: .pkl rows in entity-id order, a wrong count is an error', async () => {
    const f = await loadModalityFeatures(fixture('..', 'pickle', 'vectors.pkl'), { modality: 'text', entityIds: ['a', 'b', 'c'] });
    expect(f).to.include({ rows: 3, dim: 3, format: 'pkl' });
    expect(Array.from(f.mask)).to.deep.equal([1, 1, 0]);
    const err = await loadModalityFeatures(fixture('..', 'pickle', 'vectors.pkl'), { modality: 'text', entityIds: ['a'] }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain('has 3 vectors but the dataset has 1 entities');
  });

  it('real data: the TransAE pickles give exactly the shared text conversions', async function () {
    needsRealData(this, 'wn9-img');
    const d = getDataset('wn9-img');
    const pklFile = datasetFile(d, 'text/textembed_6555_100_2_40.pkl');
    const txtFile = datasetFile(d, 'text/textembed_6555_100_2_40.txt.gz');
    if (![pklFile, txtFile].every((f) => fs.existsSync(f))) {
      console.log('      SKIPPED (the data home copy of wn9-img lacks the .pkl or its conversion)');
      this.skip();
    }
    const m = pickledVectors(fs.readFileSync(pklFile), pklFile);
    const lines = zlib.gunzipSync(fs.readFileSync(txtFile)).toString('utf8').split('\n').filter((l) => l !== '');
    expect([m.rows, m.dim]).to.deep.equal([6555, 100]);
    let mismatches = 0;
    lines.forEach((l, r) => l.split('\t')[1].split(' ').forEach((x, j) => (mismatches += Math.fround(Number(x)) === m.data[r * 100 + j] ? 0 : 1)));
    expect(mismatches).to.equal(0);
    const glosses = pickledTexts(fs.readFileSync(datasetFile(d, 'text/entity2description.pkl')), 'entity2description.pkl');
    expect(glosses).to.deep.equal(await readKeyValueFile(datasetFile(d, 'text/entity2description.txt')));
  });
});
