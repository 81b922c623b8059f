import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  forEachTsvRow,
  KgDataError,
  parseColumnOrder,
  readIdMap,
  readKeyValueFile,
  readTriples,
} from '../../kg-data/triples_reader';
import { fixture, rejection } from './helpers';

describe('kg-data/triples_reader', () => {
  describe('readTriples', () => {
    it('reads an h,r,t file', async () => {
      const triples = await readTriples(fixture('tiny', 'train.tsv'));
      expect(triples).to.have.length(6);
      expect(triples[0]).to.deep.equal({ head: 'a', relation: 'r1', tail: 'b', line: 1 });
      expect(triples[5]).to.deep.equal({ head: 'b', relation: 'r1', tail: 'd', line: 6 });
    });

    it('reads h,t,r order with CRLF, bare CR, blank lines and no final newline', async () => {
      const triples = await readTriples(fixture('htr_crlf', 'train.txt'), { columns: 'htr' });
      expect(triples.map((t) => [t.head, t.relation, t.tail, t.line])).to.deep.equal([
        ['x', 'p', 'y', 1],
        ['y', 'p', 'z', 2],
        ['z', 'q', 'x', 4],
        ['x', 'q', 'x', 5],
      ]);
      const test = await readTriples(fixture('htr_crlf', 'test.txt'), { columns: 'htr' });
      expect(test).to.deep.equal([{ head: 'z', relation: 'q', tail: 'y', line: 1 }]);
    });

    it('handles every column permutation', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-cols-'));
      try {
        const cells: Record<string, string> = { h: 'H', r: 'R', t: 'T' };
        for (const order of ['hrt', 'htr', 'rht', 'rth', 'thr', 'trh'] as const) {
          const file = path.join(dir, `${order}.txt`);
          fs.writeFileSync(file, `${order.split('').map((c) => cells[c]).join('\t')}\n`);
          const [t] = await readTriples(file, { columns: order });
          expect([t.head, t.relation, t.tail], order).to.deep.equal(['H', 'R', 'T']);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('gunzips .gz files', async () => {
      const triples = await readTriples(fixture('gz', 'train.txt.gz'));
      expect(triples.map((t) => `${t.head} ${t.relation} ${t.tail}`)).to.deep.equal(['a r b', 'b s c', 'a r b']);
    });

    it('keeps quotes literal', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-quote-'));
      try {
        const file = path.join(dir, 'q.txt');
        fs.writeFileSync(file, '"a\tr\tb"c\n\'d\tr\te\n');
        const triples = await readTriples(file);
        expect(triples.map((t) => t.head)).to.deep.equal(['"a', "'d"]);
        expect(triples[0].tail).to.equal('b"c');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reports a line with too few columns with file and line', async () => {
      const file = fixture('bad', 'malformed_columns.txt');
      const err = await rejection(readTriples(file));
      expect(err).to.be.instanceOf(KgDataError);
      expect(err.message).to.contain(`${file}:3:`).and.to.contain('expected 3').and.to.contain('found 2');
      expect((err as KgDataError).line).to.equal(3);
    });

    it('reports a line with too many columns', async () => {
      const file = fixture('bad', 'too_many_columns.txt');
      const err = await rejection(readTriples(file));
      expect(err.message).to.contain(`${file}:1:`).and.to.contain('found 4');
    });

    it('reports an empty field with file, line and column name', async () => {
      const file = fixture('bad', 'empty_field.txt');
      const err = await rejection(readTriples(file));
      expect(err.message).to.contain(`${file}:2:`).and.to.contain('empty relation field');
    });

    it('reports an empty file and a file of blank lines as an empty split', async () => {
      for (const [name, line] of [
        ['empty.txt', 1],
        ['blank_only.txt', 3],
      ] as const) {
        const file = fixture('bad', name);
        const err = await rejection(readTriples(file));
        expect(err.message, name).to.contain(`${file}:${line}:`).and.to.contain('empty split');
      }
      expect(await readTriples(fixture('bad', 'empty.txt'), { allowEmpty: true })).to.deep.equal([]);
    });

    it('reports a missing file with its path', async () => {
      const file = fixture('bad', 'no_such_file.txt');
      const err = await rejection(readTriples(file));
      expect(err).to.be.instanceOf(KgDataError);
      expect(err.message).to.equal(`${file}: file not found`);
    });

    it('reports corrupt gzip data with the file', async () => {
      const file = fixture('bad', 'corrupt.txt.gz');
      const err = await rejection(readTriples(file));
      expect(err.message).to.contain(`${file}:1:`).and.to.contain('corrupt gzip');
    });

    it('counts lines across chunk boundaries of a large file', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-big-'));
      try {
        const file = path.join(dir, 'big.txt');
        const rows: string[] = [];
        for (let i = 0; i < 20000; i++) rows.push(i % 3 === 0 ? `e${i}\tr\te${i + 1}\r\n` : i % 3 === 1 ? `e${i}\tr\te${i + 1}\r` : `\r\n`);
        rows.push('bad line\n');
        fs.writeFileSync(file, rows.join(''));
        const err = await rejection(readTriples(file));
        expect(err.message).to.contain(`${file}:20001:`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('forEachTsvRow', () => {
    it('returns the number of physical lines and skips blank ones', async () => {
      const seen: number[] = [];
      const lines = await forEachTsvRow(fixture('htr_crlf', 'train.txt'), (_f, line) => seen.push(line));
      expect(lines).to.equal(5);
      expect(seen).to.deep.equal([1, 2, 4, 5]);
    });
  });

  describe('readIdMap', () => {
    it('reads a gzipped id map in file order', async () => {
      const map = await readIdMap(fixture('gz', 'entity2id.txt.gz'));
      expect(map.keys).to.deep.equal(['b', 'a', 'c']);
      expect(map.index.get('c')).to.equal(2);
      expect(map.lines.get('a')).to.equal(2);
    });

    it('accepts ids in any order as long as they are a permutation', async () => {
      const map = await readIdMap(fixture('gz', 'relation2id.txt'));
      expect(map.keys).to.deep.equal(['r', 's']);
    });

    const cases: [string, number, string][] = [
      ['id_duplicate.txt', 3, 'duplicated id 1'],
      ['id_out_of_range.txt', 2, 'id 3 out of range'],
      ['id_not_integer.txt', 2, "'one' is not a non-negative integer"],
      ['id_duplicate_key.txt', 3, "duplicated key 'a'"],
      ['id_three_columns.txt', 1, 'expected 2'],
      ['empty.txt', 1, 'empty id file'],
    ];
    for (const [name, line, problem] of cases) {
      it(`rejects ${name} naming file:${line}`, async () => {
        const file = fixture('bad', name);
        const err = await rejection(readIdMap(file));
        expect(err).to.be.instanceOf(KgDataError);
        expect(err.message).to.contain(`${file}:${line}:`).and.to.contain(problem);
      });
    }
  });

  describe('readKeyValueFile', () => {
    it('reads key/value lines keeping spaces and commas in values', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-kv-'));
      try {
        const file = path.join(dir, 'names.txt');
        fs.writeFileSync(file, 'n1\tJudas tree, love tree\r\nn2\t"quoted"\r\n');
        const map = await readKeyValueFile(file);
        expect(map.get('n1')).to.equal('Judas tree, love tree');
        expect(map.get('n2')).to.equal('"quoted"');
        fs.writeFileSync(file, 'n1\ta\nn1\tb\n');
        expect((await rejection(readKeyValueFile(file))).message).to.contain(`${file}:2:`).and.to.contain("duplicated key 'n1'");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('parseColumnOrder', () => {
    it('accepts permutations and rejects anything else', () => {
      expect(parseColumnOrder('HTR')).to.equal('htr');
      expect(() => parseColumnOrder('hrr')).to.throw(/not a permutation/);
    });
  });
});
