import { expect } from 'chai';
import * as fs from 'node:fs';
import { DATASETS, datasetDirectory, datasetFile, datasetNames, getDataset, isDatasetName } from '../../kg-data/registry';

describe('kg-data/registry', () => {
  it('lists the shipped datasets', () => {
    expect(datasetNames()).to.deep.equal(['wn9-img', 'fb-img']);
    expect(isDatasetName('FB-IMG')).to.equal(true);
    expect(getDataset('WN9-IMG').columns).to.equal('htr');
  });

  it('rejects an unknown name listing the known ones and mentioning paths', () => {
    expect(() => getDataset('fb15k')).to.throw(/unknown dataset 'fb15k'.*wn9-img, fb-img.*path/);
  });

  it('points at files that exist in the package', () => {
    for (const d of Object.values(DATASETS)) {
      const files = [
        d.splits.train,
        d.splits.valid,
        d.splits.test,
        d.entityIds,
        d.relationIds,
        d.entityNames,
        ...Object.values(d.textFeatures).map((f) => f.file),
      ];
      for (const f of files) {
        if (f === undefined) continue;
        expect(fs.existsSync(datasetFile(d, f)), `${d.name}: ${f}`).to.equal(true);
      }
      expect(fs.statSync(datasetDirectory(d)).isDirectory()).to.equal(true);
    }
  });
});
