import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { locateDataset } from '../../kg-data/data_home';
import { DATASETS, datasetNames, getDataset, isDatasetName } from '../../kg-data/registry';
import { CLS_DATASETS } from '../../cls-data/registry';
import { needsRealData } from '../real_data';

const ALL = [...Object.values(DATASETS), ...Object.values(CLS_DATASETS)];
const PINNED = /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{7,40}\/\S+$/;

describe('kg-data/registry', () => {
  it('lists the registry datasets', () => {
    expect(datasetNames()).to.deep.equal(['wn9-img', 'fb-img']);
    expect(isDatasetName('FB-IMG')).to.equal(true);
    expect(getDataset('WN9-IMG').columns).to.equal('htr');
  });

  it('rejects an unknown name listing the known ones and mentioning paths', () => {
    expect(() => getDataset('fb15k')).to.throw(/unknown dataset 'fb15k'.*wn9-img, fb-img.*path/);
  });

  it('describes every file: size, sha256, a URL pinned at a commit or how to obtain it', () => {
    for (const d of ALL) {
      expect(d.files.length, d.name).to.be.greaterThan(0);
      expect(d.folders[0], d.name).to.equal(d.name);
      expect(d.licence.length, d.name).to.be.greaterThan(10);
      for (const f of d.files) {
        const what = `${d.name}: ${f.path}`;
        expect(f.bytes, what).to.be.greaterThan(0);
        expect(f.sha256, what).to.match(/^[0-9a-f]{64}$/);
        if (f.url !== undefined) expect(f.url, what).to.match(PINNED);
        else expect(f.obtain, what).to.be.a('string').and.have.length.greaterThan(20);
      }
      expect(new Set(d.files.map((f) => f.path)).size, `${d.name}: duplicate paths`).to.equal(d.files.length);
    }
  });

  it('every file a KG loader needs can be downloaded; defaults name existing feature entries', () => {
    for (const d of Object.values(DATASETS)) {
      const fetched = new Set(d.files.filter((f) => f.url).map((f) => f.path));
      for (const f of [d.splits.train, d.splits.valid, d.splits.test, d.entityIds, d.relationIds]) {
        expect(fetched.has(f as string), `${d.name}: ${f}`).to.equal(true);
      }
      if (d.defaultFeatures?.text) expect(d.textFeatures[d.defaultFeatures.text], d.name).to.not.equal(undefined);
      if (d.defaultFeatures?.image) expect(d.imageFeatures[d.defaultFeatures.image], d.name).to.not.equal(undefined);
    }
  });

  it('every classification split file can be downloaded', () => {
    for (const d of Object.values(CLS_DATASETS)) {
      const fetched = d.files.filter((f) => f.url).map((f) => f.path);
      for (const v of Object.values(d.variants)) {
        expect(fetched.some((p) => p.startsWith(`${v.directory}/test`)), `${d.name}/${v.directory}`).to.equal(true);
        if (v.attributesFile) expect(fetched, d.name).to.include(v.attributesFile);
      }
    }
  });

  it('the sizes and sha256 values match the files of the data home (MMKGE_DATA)', async function () {
    needsRealData(this, ...ALL.map((d) => d.name));
    let checked = 0;
    for (const d of ALL) {
      const dir = locateDataset(d) as string;
      for (const f of d.files) {
        const file = path.join(dir, ...f.path.split('/'));
        if (!fs.existsSync(file)) continue; // the shared copy spells some files otherwise (FB-IMG train.txt.gz)
        const bytes = fs.readFileSync(file);
        expect(bytes.length, file).to.equal(f.bytes);
        expect(createHash('sha256').update(bytes).digest('hex'), file).to.equal(f.sha256);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(35);
  });
});
