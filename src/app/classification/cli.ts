/**
 * The `mmkge classify` and `mmkge table1` subcommands (wired into src/app/cli.ts by
 * {@link addClassificationCommands}).
 */
import type { Command } from 'commander';
import { clsModelNames, clsPluginNames } from '../../../baselines/classification/registry';
import { selectBackend } from '../../backend';
import { checkDatasetAvailable } from '../dataset_home';
import { clsConfig, DEFAULT_CLS_CONFIG, type ClsConfig } from './config';
import { runClassification } from './train';
import { kebab, parseOption, type OptionSpec } from '../../options';

/**
 * Type and range of every numeric `classify` flag (src/options.ts), so that `--epochs 2.5`,
 * `--batch-size 0` or `--hidden 0x10` are errors naming the flag instead of odd runs.
 */
const NUMERIC_FLAGS: Record<string, OptionSpec> = {
  seed: { type: 'int', default: 1, min: 0, max: 4294967295, help: 'random seed' },
  epochs: { type: 'int', default: 8, min: 1, max: 1_000_000, help: 'maximum epochs' },
  patience: { type: 'int', default: 3, min: 0, max: 1_000_000, help: 'early-stopping patience' },
  batchSize: { type: 'int', default: 128, min: 1, max: 1_000_000, help: 'batch size' },
  lr: { type: 'number', default: 1e-3, above: 0, help: 'learning rate' },
  embLr: { type: 'number', default: 0, min: 0, help: 'table learning rate' },
  hidden: { type: 'int', default: 128, min: 0, max: 16384, help: 'hidden width' },
  maxTokens: { type: 'int', default: 24, min: 1, max: 100_000, help: 'tokens per text' },
  imageSize: { type: 'int', default: 32, min: 1, max: 4096, help: 'image side' },
  noise: { type: 'number', default: 0, min: 0, help: 'test noise level' },
  gamma1: { type: 'number', default: 0, min: 0, help: 'IMML gamma1' },
  gamma2: { type: 'number', default: 0, min: 0, help: 'IMML gamma2' },
  immlAlpha: { type: 'number', default: 0.1, above: 0, help: 'IMML alpha' },
  immlBeta: { type: 'number', default: 0.1, above: 0, help: 'IMML beta' },
  immlPartners: { type: 'int', default: 2, min: 1, max: 1024, help: 'IMML partners' },
  immlTemperature: { type: 'number', default: 0.5, above: 0, help: 'IMML temperature' },
  immlProjectionDim: { type: 'int', default: 128, min: 1, max: 16384, help: 'IMML projection width' },
  immlMdkeRows: { type: 'int', default: 256, min: 0, max: 100_000_000, help: 'IMML L_mdke rows' },
  pmrAlpha: { type: 'number', default: 0, min: 0, help: 'PMR weight' },
  umtScale: { type: 'number', default: 1, min: 0, help: 'UMT weight' },
};

function num(key: string, v: string): number {
  const spec = Object.prototype.hasOwnProperty.call(NUMERIC_FLAGS, key) ? NUMERIC_FLAGS[key] : ({ type: 'number', default: 0, help: '' } as const);
  return parseOption(`--${kebab(key)}`, spec, v) as number;
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function collectFeatures(v: string, prev: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw new Error(`--features expects MODALITY=FILE, got '${v}'`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}

/** Config from the parsed `classify` options. */
export function classifyConfig(o: Record<string, unknown>): ClsConfig {
  const d = DEFAULT_CLS_CONFIG;
  const n = (k: string, def: number) => (o[k] === undefined ? def : num(k, String(o[k])));
  const textEncoder = String(o.textEncoder ?? d.textEncoder);
  if (textEncoder !== 'bow' && textEncoder !== 'bow-fixed') throw new Error(`--text-encoder must be bow or bow-fixed, got '${textEncoder}'`);
  const pooling = String(o.pooling ?? d.pooling);
  if (pooling !== 'mean' && pooling !== 'sum') throw new Error(`--pooling must be mean or sum, got '${pooling}'`);
  return clsConfig({
    dataset: String(o.dataset ?? d.dataset),
    variant: o.variant === undefined ? undefined : String(o.variant),
    model: String(o.model ?? d.model),
    plugins: o.plugin === undefined ? [] : list(String(o.plugin)),
    seed: n('seed', d.seed),
    epochs: n('epochs', d.epochs),
    patience: n('patience', d.patience),
    batchSize: n('batchSize', d.batchSize),
    lr: n('lr', d.lr),
    embLr: n('embLr', d.embLr),
    textEncoder,
    pooling,
    hidden: n('hidden', d.hidden),
    maxTokens: n('maxTokens', d.maxTokens),
    imageSize: n('imageSize', d.imageSize),
    predominant: String(o.predominant ?? d.predominant),
    modalities: o.modalities === undefined ? [] : list(String(o.modalities)),
    features: (o.features as Record<string, string> | undefined) ?? {},
    noise: o.noise === undefined ? d.noise : list(String(o.noise)).map((v) => num('noise', v)),
    imml: {
      ...d.imml,
      gamma1: n('gamma1', d.imml.gamma1),
      gamma2: n('gamma2', d.imml.gamma2),
      alpha: n('immlAlpha', d.imml.alpha),
      beta: n('immlBeta', d.imml.beta),
      partners: n('immlPartners', d.imml.partners),
      temperature: n('immlTemperature', d.imml.temperature),
      projectionDim: n('immlProjectionDim', d.imml.projectionDim),
      mdkeRows: n('immlMdkeRows', d.imml.mdkeRows),
      useMdke: o.mdke !== false,
      useBeta: o.betaLoss !== false,
    },
    pmr: o.pmrAlpha === undefined ? {} : { alpha: num('pmrAlpha', String(o.pmrAlpha)) },
    umtScale: n('umtScale', d.umtScale),
    teacherCache: String(o.teacherCache ?? ''),
    backend: String(o.backend ?? d.backend),
    out: String(o.out ?? ''),
    quiet: Boolean(o.quiet),
  });
}

/** Register `classify` and `table1` on the mmkge program. */
export function addClassificationCommands(program: Command): void {
  const d = DEFAULT_CLS_CONFIG;
  program
    .command('classify')
    .description('train and test a multimodal classifier (Table I models and the PMR/UMT/IMML plug-ins)')
    .option('--dataset <name>', 'hfm, mvsa-single, mvsa-multiple, food101, or a directory', d.dataset)
    .option('--variant <name>', 'split variant (default: mvsa-single clmlf, others their default)')
    .option('--model <name>', `model: ${clsModelNames().join(', ')}`, d.model)
    .option('--plugin <list>', `plug-ins, comma-separated, in order: ${clsPluginNames().join(', ')}`)
    .option('--seed <n>', 'random seed (same seed = same numbers)', String(d.seed))
    .option('--epochs <n>', 'maximum epochs', String(d.epochs))
    .option('--patience <n>', 'early stopping on dev accuracy (0 = off)', String(d.patience))
    .option('--batch-size <n>', 'batch size', String(d.batchSize))
    .option('--lr <x>', 'Adam learning rate', String(d.lr))
    .option('--emb-lr <x>', 'learning rate of the word-vector tables (0 = --lr)')
    .option('--text-encoder <kind>', 'bow (trainable GloVe bag) or bow-fixed (fixed mean-BoW features)', d.textEncoder)
    .option('--pooling <kind>', 'mean or sum of the word vectors', d.pooling)
    .option('--hidden <n>', 'hidden layer after each encoder (0 = none)', String(d.hidden))
    .option('--max-tokens <n>', 'words per text for token models (MMBT)', String(d.maxTokens))
    .option('--image-size <n>', 'image side for the CNN encoder', String(d.imageSize))
    .option('--predominant <modality>', 'predominant modality (first in every model)', d.predominant)
    .option('--modalities <list>', 'modalities to use (default: all the dataset has)')
    .option('--features <modality=file>', 'precomputed per-sample features (.npy + .ids.txt, or .jsonl), repeatable', collectFeatures, {})
    .option('--noise <list>', 'test noise levels eps', d.noise.join(','))
    .option('--gamma1 <x>', 'IMML: weight of L_mdke', String(d.imml.gamma1))
    .option('--gamma2 <x>', 'IMML: weight of L_beta', String(d.imml.gamma2))
    .option('--imml-alpha <x>', 'IMML: lambda ~ Beta(alpha, beta)', String(d.imml.alpha))
    .option('--imml-beta <x>', 'IMML: lambda ~ Beta(alpha, beta)', String(d.imml.beta))
    .option('--imml-partners <n>', 'IMML: N partners per sample', String(d.imml.partners))
    .option('--imml-temperature <x>', 'IMML: NT-Xent temperature', String(d.imml.temperature))
    .option('--imml-projection-dim <n>', 'IMML: projection head width', String(d.imml.projectionDim))
    .option('--imml-mdke-rows <n>', 'IMML: at most this many samples per step in L_mdke (0 = all; 64 with --imml-projection-dim 64 keeps IMML at ~1.5x QMF on HFM)', String(d.imml.mdkeRows))
    .option('--no-mdke', 'IMML ablation: without L_mdke')
    .option('--no-beta-loss', 'IMML ablation: without L_beta')
    .option('--pmr-alpha <x>', 'PMR: weight of the prototype loss')
    .option('--umt-scale <x>', 'UMT: weight of the feature distillation', String(d.umtScale))
    .option('--teacher-cache <dir>', 'UMT: cache the teachers\' features here')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu', d.backend)
    .option('--out <file>', 'write the result JSON here')
    .option('--quiet', 'no progress bars')
    .action(async (o: Record<string, unknown>) => {
      const config = classifyConfig(o);
      await checkDatasetAvailable(config.dataset);
      await selectBackend(config.backend as never, (m) => console.log(m));
      const r = await runClassification(config, { log: (m) => console.log(m) });
      for (const note of r.notes) console.log(`note: ${note}`);
      for (const m of r.modalities) console.log(`modality ${m.name}: ${m.encoder} (D = ${m.dim})`);
      if (r.substitute) console.log(`NOTE: ${r.modelLabel} expects pre-trained encoder features; this run used a substitute encoder`);
      console.log(`${r.label} on ${r.dataset}, seed ${r.seed}: best epoch ${r.bestEpoch}/${r.epochsRun}, dev accuracy ${(100 * r.devAccuracy).toFixed(2)}%, ${r.secondsPerEpoch.toFixed(2)} s/epoch`);
      for (const t of r.test) console.log(`  test eps ${t.eps}: accuracy ${(100 * t.accuracy).toFixed(2)}%, macro-F1 ${(100 * t.macroF1).toFixed(2)}%`);
      if (Object.keys(r.pluginReport).length > 0) console.log(`  plug-ins: ${JSON.stringify(r.pluginReport)}`);
      if (config.out) console.log(`wrote ${config.out}`);
    });

  program
    .command('table1')
    .description('run Table I / III / IV and Fig. 4 of the IMML paper on the classification data we have (writes results/table1.md)')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption(false)
    .action(async (_o: unknown, cmd: Command) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { table1Main } = require('./table1') as typeof import('./table1');
      await table1Main(['node', 'table1', ...cmd.args]);
    });
}
