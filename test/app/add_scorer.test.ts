import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import { EMBEDDING_OPTIONS, type EmbeddingOptions, type Scorer } from '../../src/scorer';
import { component, type Schema } from '../../src/options';
import { fillUniform } from '../../baselines/kg/common';
import { registerScorer } from '../../baselines/kg/registry';
import { buildProgram } from '../../src/app/cli';
import { checkPartial, configKeys, defaultConfig } from '../../src/app/run_config';
import { resolveConfig, runTraining, scorerFor } from '../../src/app/run';
import { selectBackend } from '../../src/backend';

/**
 * The README's "adding a scorer" example, end to end: a scorer with an option of its own,
 * declared in its own file (here, this test) and registered with one line. Nothing else is
 * edited, and `train --help`, flags, config files, validation, defaults and training pick it up.
 */

interface ScaledL2SqOptions extends EmbeddingOptions {
  /** s in score = -s ||h + r - t||_2^2. */
  l2sqScale: number;
}

const SCALED_L2SQ_OPTIONS: Schema<ScaledL2SqOptions> = {
  ...EMBEDDING_OPTIONS,
  l2sqScale: { type: 'number', default: 0.5, above: 0, max: 100, help: 'scale s of -s ||h + r - t||^2' },
};

class ScaledL2Sq implements Scorer {
  readonly name = 'scaled-l2sq';
  readonly entityWidth: number;
  readonly relationWidth: number;
  constructor(readonly o: ScaledL2SqOptions) {
    this.entityWidth = o.dim;
    this.relationWidth = o.dim;
  }
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(-this.o.l2sqScale, tf.sum(tf.square(tf.sub(tf.add(h, r), t)), -1)));
  }
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    fillUniform(table, rows * this.entityWidth, 6 / Math.sqrt(this.o.dim), rng);
  }
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    fillUniform(table, rows * this.relationWidth, 6 / Math.sqrt(this.o.dim), rng);
  }
}

const TINY = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kg', 'tiny');

/** Runs `mmkge <args>` in-process with the train action's --print-config output captured. */
async function printConfig(args: string[]): Promise<Record<string, unknown>> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (m: unknown) => lines.push(String(m));
  try {
    await buildProgram().parseAsync(['node', 'mmkge', 'train', ...args, '--print-config']);
  } finally {
    console.log = log;
  }
  return JSON.parse(lines.join('\n')) as Record<string, unknown>;
}

describe('adding a scorer with an option of its own (baselines/kg/README.md)', () => {
  let unregister = (): void => undefined;
  before(async () => {
    await selectBackend('wasm');
    unregister = registerScorer('scaled-l2sq', component(SCALED_L2SQ_OPTIONS, (o) => new ScaledL2Sq(o)));
  });
  // Later test files (the conformance meta-test) see the built-in registry only.
  after(() => unregister());

  it('train --help lists the new flag with its help, range and default', () => {
    const train = buildProgram().commands.find((c) => c.name() === 'train');
    const help = train!.helpInformation().replace(/\s+/g, ' ');
    expect(help).to.include('--l2sq-scale <value> scale s of -s ||h + r - t||^2 [number > 0 and <= 100; default 0.5]');
    expect(help).to.match(/--model <value> model \([^)]*scaled-l2sq/);
  });

  it('the flag and config-file key are parsed, checked against the range and reach the scorer', async () => {
    expect(configKeys()).to.include('l2sqScale');
    expect((defaultConfig() as unknown as Record<string, unknown>).l2sqScale).to.equal(0.5);
    const printed = await printConfig(['--dataset', TINY, '--model', 'scaled-l2sq', '--l2sq-scale', '2']);
    expect(printed.l2sqScale).to.equal(2);
    expect(printed.model).to.equal('scaled-l2sq');
    let message = '';
    await printConfig(['--dataset', TINY, '--model', 'scaled-l2sq', '--l2sq-scale', '200']).catch((e: Error) => (message = e.message));
    expect(message).to.equal('--l2sq-scale: expected a number > 0 and <= 100, got 200');
    expect(() => checkPartial({ l2sqScale: 'big' }, 'run.json')).to.throw("run.json: 'l2sqScale': expected a finite number, got 'big'");
    expect(() => checkPartial({ l2sqScal: 1 }, 'run.json')).to.throw(/unknown config key 'l2sqScal' \(did you mean 'l2sqScale'\?\)/);
    const config = resolveConfig(checkPartial({ model: 'scaled-l2sq', l2sqScale: 3 }, 'run.json'), { dataset: TINY, dim: 4 });
    const scorer = scorerFor(config) as ScaledL2Sq;
    expect(scorer).to.be.instanceOf(ScaledL2Sq);
    expect([scorer.o.dim, scorer.o.initStd, scorer.o.l2sqScale]).to.deep.equal([4, undefined, 3]);
  });

  it('a second registration under the same name is refused', () => {
    expect(() => registerScorer('transe', component(SCALED_L2SQ_OPTIONS, (o) => new ScaledL2Sq(o)))).to.throw("scorer 'transe' is already registered");
  });

  it('trains through autodiff, and its option changes the run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-add-scorer-'));
    const run = (scale: number) => runTraining(resolveConfig({}, {
      dataset: TINY, model: 'scaled-l2sq', l2sqScale: scale, dim: 4, epochs: 2, batchSize: 4, evalEvery: 0, patience: 0,
      loss: 'softplus', backend: 'wasm', engine: 'js', useKernel: false, out: path.join(dir, `s${scale}`),
    } as Parameters<typeof resolveConfig>[1]), { quiet: true, log: () => undefined });
    const a = await run(0.5);
    const b = await run(5);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 's5', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(saved.l2sqScale).to.equal(5);
    expect(a.valid.both.mrr).to.be.above(0);
    const loss = (s: string) => fs.readFileSync(path.join(dir, s, 'loss.csv'), 'utf8');
    expect(loss('s0.5')).to.not.equal(loss('s5'));
    expect(b.epochsRun).to.equal(2);
  });
});
