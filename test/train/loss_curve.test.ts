import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLossCurve, writeLossCurve, type EpochRecord } from '../../src/train/loss_curve';

describe('loss curve (loss.csv)', () => {
  it('reads back what writeLossCurve wrote, with unvalidated epochs as null', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-loss-'));
    const file = path.join(dir, 'loss.csv');
    const records: EpochRecord[] = [
      { epoch: 1, loss: 5.25, seconds: 12.5, triplesPerSecond: 2174, validMrr: null },
      { epoch: 2, loss: 3.125, seconds: 11.25, triplesPerSecond: 2219, validMrr: 0.6395162711373854 },
    ];
    await writeLossCurve(file, records);
    expect(readLossCurve(file)).to.deep.equal(records);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the file and line of a malformed row', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-loss-'));
    const file = path.join(dir, 'loss.csv');
    fs.writeFileSync(file, 'epoch,loss,seconds,triples_per_second,valid_mrr\n1,5,12,2174,\n2,3\n');
    expect(() => readLossCurve(file)).to.throw(`${file}, line 3`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
