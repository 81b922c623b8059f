import { expect } from 'chai';
import * as path from 'node:path';
import { readClmlfJson, readHfmAttributes, readHfmOriginal, readMvsaLabelResult, readQmfJsonl, rowsToSamples } from '../../cls-data/loaders';
import { loadClsDirectory } from '../../cls-data/registry';
import { ClsDataError, labelCounts } from '../../cls-data/sample';
import { parsePyList } from '../../cls-data/text_io';
import { writeNpy } from '../../src/npy';
import { rejection, removeTmpDirs, thrown, tmpDir, writeFile } from './helpers';

const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('cls-data/text_io parsePyList', () => {
  it('parses Python list literals with both quote styles, escapes and numbers', () => {
    expect(parsePyList(`['9103', "it 's", 1, 0]`)).to.deep.equal(['9103', "it 's", 1, 0]);
    expect(parsePyList(`['a\\'b', "c\\"d", 'e\\\\f', '\\x41\\u00e9\\n', -2.5]`)).to.deep.equal(["a'b", 'c"d', 'e\\f', 'Aé\n', -2.5]);
    expect(parsePyList(`[ ]`)).to.deep.equal([]);
    expect(parsePyList(`['x', ]`)).to.deep.equal(['x']);
    expect(parsePyList(`['\\d']`)).to.deep.equal(['\\d']);
  });

  it('reports the column of malformed input', () => {
    expect(() => parsePyList(`'a', 1]`)).to.throw(/expected '\['/);
    expect(() => parsePyList(`['a', 1`)).to.throw(/expected ',' or '\]' at column 8/);
    expect(() => parsePyList(`['abc]`)).to.throw(/unterminated string/);
    expect(() => parsePyList(`['a'] x`)).to.throw(/unexpected text/);
    expect(() => parsePyList(`[None]`)).to.throw(/expected a string or a number/);
  });
});

describe('cls-data/loaders', () => {
  after(removeTmpDirs);

  it('reads QMF jsonl rows (CRLF, gzip, integer ids) with img kept in meta', () => {
    const dir = tmpDir();
    const file = writeFile(dir, 'train.jsonl.gz', '{"id": "1", "label": "pos", "text": "a b", "img": "data/1.jpg"}\r\n\r\n{"id": 2, "label": "neg", "text": "c"}\r\n');
    const rows = readQmfJsonl(file);
    expect(rows).to.deep.equal([
      { id: '1', label: 'pos', text: 'a b', line: 1, img: 'data/1.jpg', meta: { img: 'data/1.jpg' } },
      { id: '2', label: 'neg', text: 'c', line: 3, img: undefined, meta: undefined },
    ]);
  });

  it('QMF jsonl errors name file and line', () => {
    const dir = tmpDir();
    const bad = writeFile(dir, 'a.jsonl', '{"id": "1", "label": "x", "text": "t"}\n{"id": "2", "label": "x", "text": \n');
    const e1 = thrown(() => readQmfJsonl(bad));
    expect(e1).to.be.instanceOf(ClsDataError);
    expect(e1.message).to.match(new RegExp(`^${escape(bad)}:2: invalid JSON`));
    const dup = writeFile(dir, 'b.jsonl', jsonl([{ id: '1', label: 'x', text: 't' }, { id: '1', label: 'y', text: 'u' }]));
    expect(thrown(() => readQmfJsonl(dup)).message).to.equal(`${dup}:2: duplicate sample id '1' (first at line 1)`);
    const multi = writeFile(dir, 'c.jsonl', jsonl([{ id: 'm', label: ['a', 'b'], text: 't' }]));
    expect(thrown(() => readQmfJsonl(multi)).message).to.equal(`${multi}:1: sample m: multi-label rows are not supported (label is a list)`);
    const noText = writeFile(dir, 'd.jsonl', jsonl([{ id: 'q', label: 'a' }]));
    expect(thrown(() => readQmfJsonl(noText)).message).to.equal(`${noText}:1: sample q: missing "text"`);
    const noId = writeFile(dir, 'e.jsonl', jsonl([{ label: 'a', text: 't' }]));
    expect(thrown(() => readQmfJsonl(noId)).message).to.contain(`${noId}:1: missing or invalid "id"`);
    expect(thrown(() => readQmfJsonl(path.join(dir, 'nope.jsonl'))).message).to.contain('nope.jsonl: cannot read (ENOENT)');
  });

  it('reads CLMLF json arrays and locates rows by line', () => {
    const dir = tmpDir();
    const text = JSON.stringify([{ id: '5', text: 'x {y} "z"', emotion_label: 2 }, { id: '6', text: 'w', emotion_label: 0 }], null, 2);
    const file = writeFile(dir, 'train.json', text);
    const rows = readClmlfJson(file);
    expect(rows.map((r) => [r.id, r.label, r.line])).to.deep.equal([
      ['5', '2', 2],
      ['6', '0', 7],
    ]);
    const bad = writeFile(dir, 'bad.json', JSON.stringify([{ id: '5', text: 'x', emotion_label: 0 }, { id: '7', text: 'y', emotion_label: 'neg' }], null, 2));
    expect(thrown(() => readClmlfJson(bad)).message).to.equal(`${bad}:7: sample 7: "emotion_label" must be a non-negative integer, got "neg"`);
    const notArray = writeFile(dir, 'obj.json', '{"a": 1}');
    expect(thrown(() => readClmlfJson(notArray)).message).to.contain(`${notArray}: expected a JSON array`);
    const broken = writeFile(dir, 'broken.json', '[{"id": "1",');
    expect(thrown(() => readClmlfJson(broken)).message).to.contain(`${broken}: invalid JSON`);
  });

  it('reads the original HFM files (3 and 4 columns) and the attribute file', () => {
    const dir = tmpDir();
    const train = writeFile(dir, 'train.txt', `['11', 'i love mondays # not', 1]\r\n['12', "it 's fine", 0]\r\n`);
    expect(readHfmOriginal(train).map((r) => [r.id, r.label, r.text])).to.deep.equal([
      ['11', '1', 'i love mondays # not'],
      ['12', '0', "it 's fine"],
    ]);
    const valid = writeFile(dir, 'valid2.txt', `['21', 'x', 1, 0]\n`);
    expect(readHfmOriginal(valid)[0]).to.deep.include({ label: '0', meta: { hashtagLabel: 1 } });
    const badLabel = writeFile(dir, 'bad.txt', `['11', 'a', 1]\n['12', 'b', 2]\n`);
    expect(thrown(() => readHfmOriginal(badLabel)).message).to.equal(`${badLabel}:2: sample 12: label must be 0 or 1, got 2`);
    const badList = writeFile(dir, 'bad2.txt', `['11', 'a' 1]\n`);
    expect(thrown(() => readHfmOriginal(badList)).message).to.match(new RegExp(`^${escape(badList)}:1: not a Python list literal`));
    const attrs = writeFile(dir, 'extract_all', `['11', 'person', 'glasses', 'wine', 'holding', 'hands']\r\n['12', 'dog', 'grass', 'green', 'running', 'field']\r\n`);
    expect(readHfmAttributes(attrs).get('12')).to.deep.equal(['dog', 'grass', 'green', 'running', 'field']);
    const dupAttrs = writeFile(dir, 'dup_attrs', `['11', 'a']\n['11', 'b']\n`);
    expect(thrown(() => readHfmAttributes(dupAttrs)).message).to.equal(`${dupAttrs}:2: duplicate image id '11'`);
  });

  it('reads labelResultAll.txt', () => {
    const dir = tmpDir();
    const file = writeFile(dir, 'labelResultAll.txt', 'ID\ttext,image\r\n1\tneutral,positive\r\n2\tnegative,negative\r\n');
    expect(readMvsaLabelResult(file).get('1')).to.deep.equal({ text: 'neutral', image: 'positive' });
    const bad = writeFile(dir, 'bad.txt', 'ID\ttext,image\n1\tneutral\n');
    expect(thrown(() => readMvsaLabelResult(bad)).message).to.equal(`${bad}:2: expected id<TAB>text_label,image_label`);
  });

  it('rowsToSamples: unknown labels and missing attributes are errors naming file and line / id', () => {
    const rows = [{ id: 'a', label: 'x', text: 't', line: 4 }];
    expect(thrown(() => rowsToSamples('f.jsonl', rows, new Map([['y', 0]]))).message).to.equal("f.jsonl:4: sample a: unknown label 'x' (known: y)");
    const e = thrown(() => rowsToSamples('f.jsonl', rows, new Map([['x', 0]]), { attributes: new Map(), attributesFile: 'attrs' }));
    expect(e.message).to.equal('attrs: sample a: no image attributes for this sample (from f.jsonl:4)');
  });
});

describe('cls-data/registry loadClsDirectory (user directories)', () => {
  after(removeTmpDirs);

  function qmfDir(): string {
    const dir = tmpDir();
    const rows = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, label: i % 2 ? 'b' : 'a', text: `w${i} v`, img: `img/${prefix}${i}.png` }));
    writeFile(dir, 'train.jsonl', jsonl(rows('tr', 10)));
    writeFile(dir, 'dev.jsonl.gz', jsonl(rows('dv', 4)));
    writeFile(dir, 'test.jsonl', jsonl(rows('te', 4)));
    return dir;
  }

  it('detects QMF jsonl, sorts labels, and resolves images under imageRoot', async () => {
    const dir = qmfDir();
    for (const id of ['tr0', 'tr1']) writeFile(dir, `img/${id}.png`, 'x');
    const ds = await loadClsDirectory(dir);
    expect(ds.labels).to.deep.equal(['a', 'b']);
    expect([ds.train.length, ds.dev.length, ds.test.length]).to.deep.equal([10, 4, 4]);
    expect(ds.name).to.equal(dir);
    const withImages = await loadClsDirectory(dir, { imageRoot: dir, missingImages: 'omit' });
    expect(withImages.train[0].modalities.image).to.deep.equal({ kind: 'image-file', path: path.join(dir, 'img', 'tr0.png') });
    expect(withImages.train[2].modalities.image).to.equal(undefined);
    expect(withImages.modalities).to.deep.equal(['text']);
  });

  it('builds a missing dev split from train (seeded, stratified) and says so', async () => {
    const dir = tmpDir();
    const mk = (n: number, off: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: String(off + i), text: `t ${i}`, emotion_label: i % 2 })), null, 1);
    writeFile(dir, 'train.json', mk(20, 0));
    writeFile(dir, 'test.json', mk(4, 100));
    const ds = await loadClsDirectory(dir, { labels: ['no', 'yes'], seed: 3, devFraction: 0.25 });
    expect([ds.train.length, ds.dev.length]).to.deep.equal([14, 6]); // 10 per label, round(2.5) = 3 each
    expect(labelCounts(ds.dev, 2)).to.deep.equal([3, 3]);
    expect(ds.notes.join('\n')).to.contain('dev (6) was BUILT from').and.to.contain('seed 3');
    const again = await loadClsDirectory(dir, { labels: ['no', 'yes'], seed: 3, devFraction: 0.25 });
    expect(again.dev.map((s) => s.id)).to.deep.equal(ds.dev.map((s) => s.id));
    expect((await loadClsDirectory(dir)).labels).to.deep.equal(['0', '1']);
    const err = await rejection(loadClsDirectory(dir, { labels: ['only'] }));
    expect(err.message).to.match(/train\.json:\d+: sample 1: label 1 but only 1 class names were given/);
  });

  it('reads an attributes file and precomputed features', async () => {
    const dir = tmpDir();
    const mk = (ids: string[]) => JSON.stringify(ids.map((id, i) => ({ id, text: 'hello', emotion_label: i % 2 })));
    writeFile(dir, 'train.json', mk(['1', '2']));
    writeFile(dir, 'valid.json', mk(['3']));
    writeFile(dir, 'test.json', mk(['4']));
    writeFile(dir, 'extract_all', ['1', '2', '3', '4'].map((id) => `['${id}', 'a${id}', 'b']`).join('\n'));
    writeNpy(path.join(dir, 'img.npy'), Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);
    writeFile(dir, 'img.ids.txt', '4\n3\n2\n1\n');
    const ds = await loadClsDirectory(dir, { features: { image: path.join(dir, 'img.npy') } });
    expect(ds.modalities).to.deep.equal(['text', 'attributes', 'image']);
    expect(ds.train[0].modalities.attributes).to.deep.equal({ kind: 'text', text: 'a1 b', words: ['a1', 'b'] });
    const img = ds.train[0].modalities.image;
    expect(img.kind === 'features' && Array.from(img.data)).to.deep.equal([7, 8]);
    const none = await loadClsDirectory(dir, { attributesFile: false });
    expect(none.modalities).to.deep.equal(['text']);
    writeFile(dir, 'extract_all', `['1', 'x']\n`);
    const err = await rejection(loadClsDirectory(dir));
    expect(err.message).to.equal(`${path.join(dir, 'extract_all')}: sample 2: no image attributes for this sample (from ${path.join(dir, 'train.json')}:1)`);
  });

  it('directory errors: not a directory, no split files, ambiguous format, no test, overlapping splits', async () => {
    const dir = tmpDir();
    expect((await rejection(loadClsDirectory(path.join(dir, 'missing')))).message).to.contain('missing: not a directory');
    expect((await rejection(loadClsDirectory(dir))).message).to.contain(`${dir}: no split files: looked for train.jsonl`);
    writeFile(dir, 'train.jsonl', jsonl([{ id: '1', label: 'a', text: 't' }]));
    expect((await rejection(loadClsDirectory(dir))).message).to.contain('no test split');
    writeFile(dir, 'test.json', '[]');
    expect((await rejection(loadClsDirectory(dir))).message).to.contain('ambiguous format: files of qmf-jsonl and clmlf-json');
    writeFile(dir, 'test.jsonl', jsonl([{ id: '1', label: 'a', text: 't' }]));
    writeFile(dir, 'dev.jsonl', jsonl([{ id: '2', label: 'a', text: 't' }]));
    const err = await rejection(loadClsDirectory(dir, { format: 'qmf-jsonl' }));
    expect(err.message).to.equal(`${path.join(dir, 'test.jsonl')}: sample 1: sample id also in the train split (${path.join(dir, 'train.jsonl')})`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
