#!/usr/bin/env node
/**
 * The `mmkge` command line: the composition root that wires data, scorers, training and
 * evaluation. Every TrainConfig key is a flag (`--batch-size 1024`), `--config FILE` reads a
 * JSON config, flags override the file, the file overrides the model/dataset presets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { kebab, RESUME_SAFE_KEYS } from '../config';
import { describeOption, specsOf } from '../options';
import { checkPartial, configKeys, parseValue, readConfigFile, runOptions, type RunConfig } from './run_config';
import { presetKeys } from './presets';
import { readJson, writeFileAtomic } from '../atomic';
import { writeNpy } from '../npy';
import { selectBackend } from '../backend';
import { selectDenseHead } from '../dense/select';
import { FilterIndex } from '../filter';
import { formatRankTable } from '../../eval/rank_table';
import { evaluator, loadSavedModel, resolveConfig, runTraining } from './run';
import { parseGridValues, runGrid } from './grid';
import { ensureWritableDirectory } from '../run_dir';
import { TrainingDivergedError } from '../train/trainer';
import { loadKgDataset } from '../../kg-data/loader';
import { parseColumnOrder } from '../../kg-data/triples_reader';
import { formatDatasetInfo } from '../../kg-data/info';
import { datasetNames, type DatasetName } from '../../kg-data/registry';
import { PREPARE_TARGETS, prepareDatasets } from '../../kg-data/prepare';
import { checkDatasetAvailable, downloadDataset, homeDatasets, setDownloadMissing } from './dataset_home';
import { locateDataset, setDataDir } from '../../kg-data/data_home';
import { keysFromImages, writeImageFeatures } from '../../kg-data/image_features';
import { scorerNames } from '../../baselines/kg/registry';
import { multimodalModelNames, multimodalModelsWithOption } from '../../baselines/kg/multimodal_registry';
import { addClassificationCommands } from './classification/cli';

/** Collect the config flags that were given (commander leaves the others undefined). */
function flagsOf(opts: Record<string, unknown>): Partial<RunConfig> {
  const flags: Record<string, unknown> = {};
  for (const key of configKeys()) {
    const v = opts[key];
    if (v === undefined) continue;
    flags[key] = typeof v === 'string' ? parseValue(key, v) : v === true ? parseValue(key, 'true') : v;
  }
  return flags as Partial<RunConfig>;
}

/** One flag per config key, its help generated from the schema; keys a preset sets say so. */
function addConfigOptions(cmd: Command): Command {
  const preset = presetKeys();
  for (const [key, spec] of Object.entries(specsOf(runOptions()))) {
    const flag = spec.type === 'bool' ? `--${kebab(key)} [bool]` : `--${kebab(key)} <value>`;
    const def = preset.has(key) ? `preset per model (built-in ${JSON.stringify(spec.default)})` : `default ${JSON.stringify(spec.default)}`;
    cmd.addOption(new Option(flag, `${spec.help} [${describeOption(spec)}; ${def}]`));
  }
  cmd.addHelpText('after', '\n"preset per model": the model (and dataset) presets set these; `mmkge train --dataset D --model X --print-config` shows the values a run would use.');
  return cmd;
}

/** The config of `mmkge train`: a new run (file < flags; --dataset and --model required) or the saved one plus flags. */
function trainConfigOf(opts: Record<string, unknown>): RunConfig {
  if (opts.resume) {
    const dir = String(opts.resume);
    const file = path.join(dir, 'config.json');
    if (!fs.existsSync(file)) throw new Error(`--resume ${dir}: no config.json there, so it holds no run to continue`);
    const fromFile = opts.config ? readConfigFile(String(opts.config)) : {};
    return resolveConfig(checkPartial(readJson<Record<string, unknown>>(file), file), { ...fromFile, ...flagsOf(opts), out: dir });
  }
  const file = opts.config ? readConfigFile(String(opts.config)) : {};
  const flags = flagsOf(opts);
  const missing = (['dataset', 'model'] as const).filter((k) => flags[k] === undefined && file[k] === undefined);
  if (missing.length > 0) {
    throw new Error(`train needs ${missing.map((k) => `--${k}`).join(' and ')} (or a --config file that sets ${missing.length > 1 ? 'them' : 'it'}); see mmkge list, and mmkge train --help`);
  }
  return resolveConfig(file, flags);
}

/** The `mmkge` program: every subcommand, its flags generated from the registries as they are now. */
export function buildProgram(): Command {
  const program = new Command();
  program.name('mmkge').description('Multimodal knowledge-graph embedding: train, evaluate and export KG embeddings').showHelpAfterError();
  program
    .option('--data-dir <dir>', 'look for datasets here first (then each folder of MMKGE_DATA, then the cache)')
    .option('--download-missing', 'download a registry dataset that the data home lacks instead of stopping')
    .hook('preAction', (cmd) => {
      const o = cmd.opts<{ dataDir?: string; downloadMissing?: boolean }>();
      setDataDir(o.dataDir);
      setDownloadMissing(Boolean(o.downloadMissing));
    });

  addConfigOptions(
    program
      .command('train')
      .description('train a model and evaluate it (filtered MRR/Hits@k on valid and test)')
      .option('--config <file>', 'JSON config file (keys as in config.json of a run)')
      .option('--resume <dir>', `continue the run in DIR from its last checkpoint (only ${RESUME_SAFE_KEYS.filter((k) => k !== 'out').map((k) => `--${kebab(k)}`).join(', ')}, --quiet may change)`)
      .option('--overwrite', 'delete the run already in --out first (else a non-empty --out is refused)')
      .option('--print-config', 'print the resolved config (defaults < presets < file < flags) as JSON and exit')
      .option('--quiet', 'no progress bars'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = trainConfigOf(opts);
    if (opts.printConfig) {
      console.log(JSON.stringify(config, null, 2));
      return;
    }
    await checkDatasetAvailable(config.dataset);
    await runTraining(config, { resume: Boolean(opts.resume), overwrite: Boolean(opts.overwrite), quiet: Boolean(opts.quiet) });
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
    await checkDatasetAvailable(base.dataset);
    const cells = await runGrid(base, parseGridValues('--gamma1', String(opts.gamma1)), parseGridValues('--gamma2', String(opts.gamma2)),
      // A cell without metrics.json did not finish: it is trained again from scratch.
      (c) => runTraining(c, { quiet: Boolean(opts.quiet), overwrite: true }), (m) => console.log(m));
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
    .option('--rank-energy <energy>', `rank with this energy instead of the run's (${multimodalModelsWithOption('rankEnergy').join(', ')}): full, structure, auxiliary, union`)
    .action(async (opts: { run: string; split: string; unfiltered?: boolean; backend?: string; workers?: string; engine?: string; rankEnergy?: string }) => {
      if (opts.split !== 'valid' && opts.split !== 'test') throw new Error(`--split must be valid or test, got '${opts.split}'`);
      const configFile = path.join(opts.run, 'config.json');
      const config = resolveConfig(checkPartial(readJson<Record<string, unknown>>(configFile), configFile), {});
      if (opts.rankEnergy !== undefined) {
        const takes = multimodalModelsWithOption('rankEnergy');
        if (!takes.includes(config.model)) throw new Error(`--rank-energy: the run's model '${config.model}' (${configFile}) has one energy; only ${takes.join(', ')} have terms to rank with`);
        config.rankEnergy = parseValue('rankEnergy', opts.rankEnergy);
      }
      if (opts.backend) config.backend = parseValue('backend', opts.backend);
      if (opts.workers) config.workers = parseValue('workers', opts.workers);
      await checkDatasetAvailable(config.dataset);
      await selectBackend(config.backend, (m) => console.log(m));
      const dataset = await loadKgDataset(config.dataset, { columns: config.columns || undefined });
      const model = await loadSavedModel(opts.run, config, dataset, (m) => console.log(m));
      const filter = opts.unfiltered ? undefined : new FilterIndex(dataset.entities.length, dataset.relations.length, [dataset.train, dataset.valid, dataset.test]);
      const engine = selectDenseHead(opts.engine ?? config.engine, (m) => console.log(m));
      const metrics = await evaluator(config, dataset, undefined, engine)(model.scorer, model.entities, model.relations, dataset[opts.split], filter);
      const energy = opts.rankEnergy !== undefined ? ` ranked by the ${config.rankEnergy} energy` : '';
      console.log(formatRankTable(`${opts.split} of ${opts.run}${energy}`, metrics));
      console.log(`evaluated ${metrics.count} triples in ${metrics.seconds.toFixed(1)} s`);
    });

  program
    .command('info')
    .description('statistics of a dataset (counts, degrees, relation categories)')
    .argument('<dataset>', `dataset name (${datasetNames().join(', ')}) or directory`)
    .option('--columns <order>', 'column order of the triple files (hrt, htr, ...)')
    .action(async (name: string, opts: { columns?: string }) => {
      const columns = opts.columns === undefined ? undefined : parseColumnOrder(opts.columns, '--columns');
      await checkDatasetAvailable(name);
      const dataset = await loadKgDataset(name, { columns });
      console.log(formatDatasetInfo(dataset));
    });

  program
    .command('export')
    .description('write entity and relation embeddings as float32 .npy plus id-to-name TSVs')
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { run: string; out: string }) => {
      ensureWritableDirectory(opts.out);
      const configFile = path.join(opts.run, 'config.json');
      const config = resolveConfig(checkPartial(readJson<Record<string, unknown>>(configFile), configFile), {});
      await checkDatasetAvailable(config.dataset);
      const dataset = await loadKgDataset(config.dataset, { columns: config.columns || undefined });
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
    .description('derive the word-vector text features into the cache (mean GloVe-100d vectors of entity names / glosses)')
    .requiredOption('--dataset <name>', `${Object.keys(PREPARE_TARGETS).join(', ')} or all`)
    .option('--cache-dir <dir>', 'where the word-vector package is installed (default: the mmkge cache)')
    .option('--out-dir <dir>', 'write the files here instead of into <cache>/derived/<dataset>/')
    .action(async (opts: { dataset: string; cacheDir?: string; outDir?: string }) => {
      const known = Object.keys(PREPARE_TARGETS) as DatasetName[];
      const wanted = opts.dataset.toLowerCase();
      if (wanted !== 'all' && !known.includes(wanted as DatasetName)) {
        throw new Error(`--dataset must be ${known.join(', ')} or all, got '${opts.dataset}'`);
      }
      for (const name of wanted === 'all' ? known : [wanted]) await checkDatasetAvailable(name);
      await prepareDatasets(wanted === 'all' ? known : [wanted as DatasetName], {
        cacheDir: opts.cacheDir,
        outDir: opts.outDir,
        log: (m) => console.log(m),
      });
    });

  program
    .command('image-features')
    .description('per-entity image features from images with an ONNX CNN: mean over the images of each entity, zero rows for entities without images, float32 .npy in entity-id order')
    .requiredOption('--model <file>', 'the network (.onnx)')
    .requiredOption('--images <dir>', 'images named <entity>_*.jpg|png or in <entity>/ folders')
    .requiredOption('--out <file>', 'output .npy (or .npy.gz)')
    .option('--dataset <name>', 'dataset fixing the entities and their order (registry name or directory); default: the keys the image names give, sorted, listed in <out>.keys.txt')
    .option('--layer <tensor>', 'tensor to read (added to the graph outputs; QLinear uint8 tensors are dequantised); default: the first graph output')
    .option('--resize <n>', 'shorter side before the crop', '256')
    .option('--crop <n>', 'centre crop side', '224')
    .option('--batch-size <n>', 'images per onnxruntime call', '16')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: every core)')
    .option('--quiet', 'no progress bar')
    .action(async (opts: { model: string; images: string; out: string; dataset?: string; layer?: string; resize: string; crop: string; batchSize: string; threads?: string; quiet?: boolean }) => {
      const int = (flag: string, v: string): number => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got '${v}'`);
        return n;
      };
      const resize = int('--resize', opts.resize);
      const crop = int('--crop', opts.crop);
      if (crop > resize) throw new Error(`--crop ${crop} is larger than --resize ${resize}`);
      let entities: readonly string[];
      if (opts.dataset) {
        await checkDatasetAvailable(opts.dataset);
        entities = (await loadKgDataset(opts.dataset)).entities;
      } else {
        entities = keysFromImages(opts.images);
        const keysFile = `${opts.out.replace(/\.gz$/, '').replace(/\.npy$/, '')}.keys.txt`;
        writeFileAtomic(keysFile, entities.join('\n') + '\n');
        console.log(`rows follow the ${entities.length} keys in ${keysFile}`);
      }
      await writeImageFeatures(opts.out, {
        model: opts.model, images: opts.images, entities, layer: opts.layer, resize, crop,
        batchSize: int('--batch-size', opts.batchSize), threads: opts.threads === undefined ? undefined : int('--threads', opts.threads),
        progress: !opts.quiet, log: (m) => console.log(m),
      });
    });

  program
    .command('download')
    .description('fetch a registry dataset (or all) from its pinned public sources into the cache, verified by sha256')
    .argument('<name>', `${[...homeDatasets().keys()].join(', ')} or all`)
    .option('--quiet', 'no progress bar')
    .action(async (name: string, opts: { quiet?: boolean }) => {
      const names = name.toLowerCase() === 'all' ? [...homeDatasets().keys()] : [name];
      for (const n of names) await downloadDataset(n, { progress: !opts.quiet });
    });

  program
    .command('list')
    .description('registered datasets and models')
    .action(() => {
      console.log(`datasets: ${datasetNames().join(', ')} (or a directory path)`);
      for (const d of homeDatasets().values()) console.log(`  ${d.name.padEnd(14)} ${locateDataset(d) ?? `not in the data home (mmkge download ${d.name})`}`);
      console.log(`models:   ${scorerNames().join(', ')} (structural); ${multimodalModelNames().join(', ')} (multimodal, --imml to add the IMML plug-in)`);
    });

  addClassificationCommands(program);
  return program;
}

// Run as the `mmkge` binary (a test imports buildProgram instead).
if (require.main === module) {
  buildProgram().parseAsync(process.argv).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`mmkge: ${err instanceof TrainingDivergedError ? '' : 'error: '}${message}\n`);
    process.exitCode = 1;
  });
}

