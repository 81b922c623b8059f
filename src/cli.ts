#!/usr/bin/env node
/**
 * The `mmkge` command line: the composition root that wires data, scorers, training and
 * evaluation. Every TrainConfig key is a flag (`--batch-size 1024`), `--config FILE` reads a
 * JSON config, flags override the file, the file overrides the model/dataset presets.
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { CONFIG_KEYS, DEFAULT_CONFIG, kebab, parseValue, readConfigFile, checkPartial, type TrainConfig } from './config';
import { readJson, writeFileAtomic } from './atomic';
import { writeNpy } from './npy';
import { selectBackend } from './backend';
import { selectDenseHead } from './dense/select';
import { FilterIndex } from './filter';
import { formatRankTable } from './metrics_table';
import { evaluator, loadSavedModel, resolveConfig, runTraining } from './run';
import { parseGridValues, runGrid } from './grid';
import { TrainingDivergedError } from './train/trainer';
import { loadKgDataset } from '../kg-data/loader';
import { formatDatasetInfo } from '../kg-data/info';
import { datasetNames, type DatasetName } from '../kg-data/registry';
import { PREPARE_TARGETS, prepareDatasets } from './prepare';
import { scorerNames } from '../baselines/kg/registry';
import { multimodalModelNames } from '../baselines/kg/multimodal_registry';
import { addClassificationCommands } from './classification/cli';

const HELP: Partial<Record<keyof TrainConfig, string>> = {
  dataset: `dataset name (${'wn9-img, fb-img'}) or a directory with train/valid/test files`,
  columns: 'column order of triple files without a dataset.json (hrt, htr, ...)',
  model: 'model (transe, distmult, complex, rotate; otkge, ikrl, tbkge, transae, mmkrl)',
  dim: 'embedding dimension (complex coordinates for complex/rotate)',
  norm: 'TransE norm (1 or 2)',
  margin: 'margin gamma (margin loss, NSSA)',
  normalizeEntities: 'TransE: unit-norm entities after each step',
  initStd: 'normal init std for all tables (0 = scorer default)',
  training: 'negative-sampling, 1vsall or kvsall',
  loss: 'margin, softplus, bce, nssa (negative sampling); ce (1vsall); bce or ce (kvsall)',
  adversarialTemperature: 'NSSA self-adversarial temperature (0 = uniform)',
  labelSmoothing: 'label smoothing for BCE-type losses',
  negatives: 'negatives per positive',
  sampler: 'uniform or bernoulli',
  reciprocal: 'reciprocal relations (1vsall/kvsall)',
  optimizer: 'adagrad or adam (sparse row updates)',
  lr: 'learning rate',
  regularizer: 'none, l2 or n3',
  regWeight: 'regulariser weight',
  epochs: 'maximum epochs',
  batchSize: 'positives (or queries) per batch',
  seed: 'random seed (same seed + config = same numbers)',
  evalEvery: 'validate every k epochs (0 = only at the end)',
  patience: 'early-stopping patience in validations (0 = off)',
  evalBatchSize: 'queries per ranking chunk',
  workers: 'evaluation worker threads (0 = one per core)',
  backend: 'tfjs backend: auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu',
  engine: 'dense engine of 1-vs-all training and matrix-product ranking: auto, ort-cpu, ort-webgpu, ort-cuda, tfjs, js',
  useKernel: 'use fused typed-array kernels when the scorer has them',
  out: 'run directory',
  imageFeatures: "image features per entity (.npy, text vectors, .f32 + .json, optionally .gz); '' = dataset default, none = off",
  textFeatures: "text features per entity (same formats); '' = dataset default, none = off",
  imageWeight: 'fusion weight of the image modality (OTKGE a)',
  textWeight: 'fusion weight of the text modality (OTKGE g)',
  otScale: 'OTKGE: scale of the OT cost',
  otEpsilon: 'OTKGE: entropic regularisation of Sinkhorn',
  otIterations: 'OTKGE: Sinkhorn iterations',
  auxWeight: 'weight of TransAE reconstruction / MMKRL alignment losses',
  denseLr: 'learning rate of dense parameters (projections, IMML); 0 = --lr',
  imml: 'add the IMML plug-in (multimodal models)',
  immlGamma1: 'IMML: weight of L_mdke',
  immlGamma2: 'IMML: weight of L_beta',
  immlAlpha: 'IMML: lambda ~ Beta(alpha, beta)',
  immlBeta: 'IMML: lambda ~ Beta(alpha, beta)',
  immlPartners: 'IMML: N partners i+1..i+N',
  immlTemperature: 'IMML: NT-Xent temperature',
  immlProjectionDim: 'IMML: projection head width',
  immlMdke: 'IMML ablation: use L_mdke',
  immlBetaLoss: 'IMML ablation: use L_beta',
  immlBetaFraction: 'IMML: fraction of each batch with an L_beta term (cost control)',
  immlMdkeRows: 'IMML: at most this many anchors in L_mdke (0 = all)',
};

/** Collect the config flags that were given (commander leaves the others undefined). */
function flagsOf(opts: Record<string, unknown>): Partial<TrainConfig> {
  const flags: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const v = opts[key];
    if (v === undefined) continue;
    flags[key] = typeof v === 'string' ? parseValue(key, v) : v === true ? parseValue(key, 'true') : v;
  }
  return flags as Partial<TrainConfig>;
}

function addConfigOptions(cmd: Command): Command {
  for (const key of CONFIG_KEYS) {
    const def = DEFAULT_CONFIG[key];
    const flag = typeof def === 'boolean' ? `--${kebab(key)} [bool]` : `--${kebab(key)} <value>`;
    cmd.addOption(new Option(flag, `${HELP[key] ?? key} (default: ${JSON.stringify(def)}, or the model preset)`));
  }
  return cmd;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('mmkge').description('Multimodal knowledge-graph embedding: train, evaluate and export KG embeddings').showHelpAfterError();

  addConfigOptions(
    program
      .command('train')
      .description('train a model and evaluate it (filtered MRR/Hits@k on valid and test)')
      .option('--config <file>', 'JSON config file (keys as in config.json of a run)')
      .option('--resume <dir>', 'continue the run in DIR from its last checkpoint')
      .option('--quiet', 'no progress bars'),
  ).action(async (opts: Record<string, unknown>) => {
    let config: TrainConfig;
    if (opts.resume) {
      const dir = String(opts.resume);
      const saved = checkPartial(readJson<Record<string, unknown>>(path.join(dir, 'config.json')), path.join(dir, 'config.json'));
      config = resolveConfig(saved, { ...flagsOf(opts), out: dir });
    } else {
      const file = opts.config ? readConfigFile(String(opts.config)) : {};
      config = resolveConfig(file, flagsOf(opts));
    }
    await runTraining(config, { resume: Boolean(opts.resume), quiet: Boolean(opts.quiet) });
  });

  addConfigOptions(
    program
      .command('grid')
      .description('gamma1 x gamma2 search of IMML (Fig. 4): one run per pair, grid.csv and heat-maps (SVG) in --out')
      .option('--config <file>', 'JSON config file')
      .option('--gamma1 <list>', 'comma-separated gamma1 values (L_mdke weight)', '1e-1,1e-2,1e-3,1e-4,1e-5,1e-6')
      .option('--gamma2 <list>', 'comma-separated gamma2 values (L_beta weight)', '1e1,1e2,1e3,1e4')
      .option('--quiet', 'no progress bars'),
  ).action(async (opts: Record<string, unknown>) => {
    const file = opts.config ? readConfigFile(String(opts.config)) : {};
    const base = resolveConfig(file, { ...flagsOf(opts), imml: true });
    const cells = await runGrid(base, parseGridValues('--gamma1', String(opts.gamma1)), parseGridValues('--gamma2', String(opts.gamma2)),
      (c) => runTraining(c, { quiet: Boolean(opts.quiet) }), (m) => console.log(m));
    const best = cells.reduce((a, b) => (b.validMrr > a.validMrr ? b : a));
    console.log(`best on valid: gamma1 ${best.gamma1}, gamma2 ${best.gamma2} (valid MRR ${best.validMrr.toFixed(4)}, test MRR ${best.testMrr.toFixed(4)}); wrote ${path.join(base.out, 'grid.csv')} and grid-valid.svg / grid-test.svg`);
  });

  program
    .command('eval')
    .description('evaluate the best model of a run on a split')
    .requiredOption('--run <dir>', 'run directory written by `mmkge train`')
    .option('--split <split>', 'valid or test', 'test')
    .option('--unfiltered', 'raw ranks (no filtering of other true triples); labelled UNFILTERED')
    .option('--backend <name>', 'tfjs backend')
    .option('--workers <n>', 'evaluation worker threads')
    .option('--engine <name>', 'dense engine of matrix-product ranking: auto, ort-cpu, ort-webgpu, ort-cuda, tfjs, js')
    .action(async (opts: { run: string; split: string; unfiltered?: boolean; backend?: string; workers?: string; engine?: string }) => {
      if (opts.split !== 'valid' && opts.split !== 'test') throw new Error(`--split must be valid or test, got '${opts.split}'`);
      const configFile = path.join(opts.run, 'config.json');
      const config = resolveConfig(checkPartial(readJson<Record<string, unknown>>(configFile), configFile), {});
      if (opts.backend) config.backend = opts.backend;
      if (opts.workers) config.workers = Number(opts.workers);
      await selectBackend(config.backend as never, (m) => console.log(m));
      const dataset = await loadKgDataset(config.dataset, { columns: (config.columns || undefined) as never });
      const model = await loadSavedModel(opts.run, config, dataset, (m) => console.log(m));
      const filter = opts.unfiltered ? undefined : new FilterIndex(dataset.entities.length, dataset.relations.length, [dataset.train, dataset.valid, dataset.test]);
      const engine = selectDenseHead(opts.engine ?? config.engine, (m) => console.log(m));
      const metrics = await evaluator(config, dataset, undefined, engine)(model.scorer, model.entities, model.relations, dataset[opts.split], filter);
      console.log(formatRankTable(`${opts.split} of ${opts.run}`, metrics));
      console.log(`evaluated ${metrics.count} triples in ${metrics.seconds.toFixed(1)} s`);
    });

  program
    .command('info')
    .description('statistics of a dataset (counts, degrees, relation categories)')
    .argument('<dataset>', `dataset name (${datasetNames().join(', ')}) or directory`)
    .option('--columns <order>', 'column order of the triple files (hrt, htr, ...)')
    .action(async (name: string, opts: { columns?: string }) => {
      const dataset = await loadKgDataset(name, { columns: opts.columns as never });
      console.log(formatDatasetInfo(dataset));
    });

  program
    .command('export')
    .description('write entity and relation embeddings as float32 .npy plus id-to-name TSVs')
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { run: string; out: string }) => {
      const configFile = path.join(opts.run, 'config.json');
      const config = resolveConfig(checkPartial(readJson<Record<string, unknown>>(configFile), configFile), {});
      const dataset = await loadKgDataset(config.dataset, { columns: (config.columns || undefined) as never });
      const saved = await loadSavedModel(opts.run, config, dataset);
      const scorer = { entityWidth: saved.entityWidth, relationWidth: saved.relationWidth };
      const E = saved.entities;
      const R = saved.rawRelations;
      const nE = dataset.entities.length;
      const entityWidth = E.length / nE;
      writeNpy(path.join(opts.out, 'entity_embeddings.npy'), E, [nE, entityWidth]);
      if (saved.structural !== saved.entities) writeNpy(path.join(opts.out, 'structural_embeddings.npy'), saved.structural, [nE, saved.structural.length / nE]);
      writeNpy(path.join(opts.out, 'relation_embeddings.npy'), R, [R.length / scorer.relationWidth, scorer.relationWidth]);
      const names = dataset.entityNames;
      writeFileAtomic(path.join(opts.out, 'entities.tsv'), dataset.entities.map((k, i) => `${i}\t${k}\t${names?.[i] ?? k}`).join('\n') + '\n');
      const nR = dataset.relations.length;
      const relRows = R.length / scorer.relationWidth;
      const relLines = [];
      for (let i = 0; i < relRows; i++) relLines.push(`${i}\t${i < nR ? dataset.relations[i] : dataset.relations[i - nR] + '_reciprocal'}`);
      writeFileAtomic(path.join(opts.out, 'relations.tsv'), relLines.join('\n') + '\n');
      writeFileAtomic(path.join(opts.out, 'README.txt'),
        `Embeddings of ${opts.run} (${config.model}, dim ${config.dim}, dataset ${config.dataset}).\n` +
        `Row i of entity_embeddings.npy is entity id i of entities.tsv (id, key, name).\n` +
        (scorer.entityWidth === 2 * config.dim ? `Complex rows are [real parts | imaginary parts], ${config.dim} each.\n` : '') +
        (relRows > nR ? `Relation rows ${nR}..${relRows - 1} are the reciprocal relations (r + ${nR} = inverse of r).\n` : ''));
      console.log(`wrote ${opts.out}: entity_embeddings.npy [${nE}, ${scorer.entityWidth}], relation_embeddings.npy [${relRows}, ${scorer.relationWidth}]`);
    });

  program
    .command('prepare')
    .description('derive the text features shipped in kg-data (mean GloVe-100d word vectors of entity names / glosses)')
    .requiredOption('--dataset <name>', `${Object.keys(PREPARE_TARGETS).join(', ')} or all`)
    .option('--cache-dir <dir>', 'where the word-vector package is installed (default: $MMKGE_CACHE or ~/.cache/mmkge)')
    .option('--out-dir <dir>', 'write the files here instead of into the dataset directories')
    .action(async (opts: { dataset: string; cacheDir?: string; outDir?: string }) => {
      const known = Object.keys(PREPARE_TARGETS) as DatasetName[];
      const wanted = opts.dataset.toLowerCase();
      if (wanted !== 'all' && !known.includes(wanted as DatasetName)) {
        throw new Error(`--dataset must be ${known.join(', ')} or all, got '${opts.dataset}'`);
      }
      await prepareDatasets(wanted === 'all' ? known : [wanted as DatasetName], {
        cacheDir: opts.cacheDir,
        outDir: opts.outDir,
        log: (m) => console.log(m),
      });
    });

  program
    .command('list')
    .description('registered datasets and models')
    .action(() => {
      console.log(`datasets: ${datasetNames().join(', ')} (or a directory path)`);
      console.log(`models:   ${scorerNames().join(', ')} (structural); ${multimodalModelNames().join(', ')} (multimodal, --imml to add the IMML plug-in)`);
    });

  addClassificationCommands(program);

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mmkge: ${err instanceof TrainingDivergedError ? '' : 'error: '}${message}\n`);
  process.exitCode = 1;
});

