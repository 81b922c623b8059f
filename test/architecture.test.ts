import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatViolations, importViolations, ruleBroken } from './import_rules';

const ROOT = path.join(__dirname, '..', '..');

describe('architecture: one-way imports (checked on the TypeScript sources)', () => {
  it('no import runs the wrong way', () => {
    const vs = importViolations(ROOT);
    expect(vs.length, `imports that break the layout rules (README "Layout"):\n${formatViolations(vs)}`).to.equal(0);
  });

  it('the checker reports each kind of bad import with file:line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-arch-'));
    try {
      const write = (rel: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      };
      write('src/train/step.ts', "import * as tf from '@tensorflow/tfjs';\nimport { mixedCrossEntropy } from '../../imml/losses';\n");
      write('src/kg.ts', "// import { x } from '../baselines/kg/registry';\nexport const t = require('../bench/table1');\n");
      write('imml/plugin.ts', "import type { Rng } from '../src/rng';\n\nexport { createScorer } from '../baselines/kg/registry';\n");
      write('eval/rank.ts', "import { trainModel } from '../src/train/trainer';\nimport { Scorer } from '../src/scorer';\n");
      write('bench/eval_bench.ts', "import { dotScorer } from '../test/eval/test_scorers';\nimport { runTraining } from '../src/app/run';\n");
      write('kg-data/loader.ts', "import { runTraining } from '../src/app/run';\n");
      write('kg-data/image_features.ts', "import { readImageFile } from '../src/image';\nimport { addImageNoise } from '../cls-data/noise';\n");
      write('cls-data/bow.ts', "import { derivedDir } from '../kg-data/data_home';\n");
      write('eval/table.ts', "import { formatMeanStd } from './stats';\nimport { createScorer } from '../baselines/kg/registry';\n");
      write('test/a.test.ts', "import { runTraining } from '../src/app/run';\nimport { h } from './helpers';\n");
      const got = importViolations(dir).map((v) => `${v.where} ${v.target}`);
      expect(got).to.have.members([
        'src/train/step.ts:2 imml/losses',
        'src/kg.ts:2 bench/table1',
        'imml/plugin.ts:3 baselines/kg/registry',
        'eval/rank.ts:1 src/train/trainer',
        'bench/eval_bench.ts:1 test/eval/test_scorers',
        'kg-data/loader.ts:1 src/app/run',
        'kg-data/image_features.ts:2 cls-data/noise',
        'eval/table.ts:2 baselines/kg/registry',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the rules allow what the layout allows', () => {
    expect(ruleBroken('app', 'baselines/kg/registry')).to.equal(undefined);
    expect(ruleBroken('baselines', 'imml/plugin')).to.equal(undefined);
    expect(ruleBroken('kg-data', 'src/download')).to.equal(undefined);
    expect(ruleBroken('eval', 'src/scorer')).to.equal(undefined);
    expect(ruleBroken('cls-data', 'kg-data/data_home')).to.equal(undefined);
    expect(ruleBroken('kg-data', 'src/image')).to.equal(undefined);
    expect(ruleBroken('kg-data', 'cls-data/noise')).to.match(/kg-data\/ imports no cls-data/);
    expect(ruleBroken('eval', 'kg-data/loader')).to.match(/eval\/ imports only the core/);
    expect(ruleBroken('bench', 'src/app/run')).to.equal(undefined);
    expect(ruleBroken('core', 'src/app/run')).to.match(/src\/app/);
    expect(ruleBroken('imml', 'src/app/run')).to.match(/only the core/);
  });
});
