/**
 * The `mmkge classify` and `mmkge table1` subcommands (wired into src/app/cli.ts by
 * {@link addClassificationCommands}).
 */
import { Option, type Command } from 'commander';
import { clsPluginNames } from '../../../baselines/classification/registry';
import { selectBackend } from '../../backend';
import { checkDatasetAvailable } from '../dataset_home';
import { classifyOptions, clsConfigFromFlat, DEFAULT_CLS_CONFIG, NOISE_LEVEL, PMR_CLS_NAMES, type ClsConfig, type ClsFlatOptions } from './config';
import { runClassification } from './train';
import type { PmrOptions } from '../../../baselines/classification/pmr';
import { checkAll, defaultsOf, describeOption, fromNames, kebab, parseOption, specsOf } from '../../options';

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function collectFeatures(v: string, prev: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw new Error(`--features expects MODALITY=FILE, got '${v}'`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}

/** Config from the parsed `classify` options: each given flag parsed and checked by its schema, the rest defaults. */
export function classifyConfig(o: Record<string, unknown>): ClsConfig {
  const schema = classifyOptions();
  const flat: Record<string, unknown> = { ...defaultsOf(schema) };
  const given = new Set<string>();
  for (const [key, spec] of Object.entries(specsOf(schema))) {
    const v = o[key];
    if (v === undefined) continue;
    given.add(key);
    flat[key] = typeof v === 'boolean' ? v : parseOption(`--${kebab(key)}`, spec, String(v));
  }
  const values = checkAll(schema, flat as unknown as ClsFlatOptions, 'classify');
  // PMR's options given on the command line (the others take PMR's defaults when it runs).
  const pmr: Partial<PmrOptions> = Object.fromEntries(Object.entries(fromNames<PmrOptions, typeof PMR_CLS_NAMES>(PMR_CLS_NAMES, values)).filter(([k]) => given.has(PMR_CLS_NAMES[k as keyof typeof PMR_CLS_NAMES])));
  return clsConfigFromFlat(values, pmr, {
    variant: o.variant === undefined ? undefined : String(o.variant),
    plugins: o.plugin === undefined ? [] : list(String(o.plugin)),
    modalities: o.modalities === undefined ? [] : list(String(o.modalities)),
    features: (o.features as Record<string, string> | undefined) ?? {},
    noise: o.noise === undefined ? DEFAULT_CLS_CONFIG.noise : list(String(o.noise)).map((v) => parseOption('--noise', NOISE_LEVEL, v) as number),
    quiet: Boolean(o.quiet),
  });
}

/** One flag per scalar option, its help generated from the schema (booleans also as --no-<flag>). */
function addClassifyOptions(cmd: Command): Command {
  for (const [key, spec] of Object.entries(specsOf(classifyOptions()))) {
    const flag = kebab(key);
    cmd.addOption(new Option(spec.type === 'bool' ? `--${flag} [bool]` : `--${flag} <value>`, `${spec.help} [${describeOption(spec)}; default ${JSON.stringify(spec.default)}]`));
    if (spec.type === 'bool') cmd.addOption(new Option(`--no-${flag}`, `same as --${flag} false`));
  }
  return cmd;
}

/** Register `classify` and `table1` on the mmkge program. */
export function addClassificationCommands(program: Command): void {
  const d = DEFAULT_CLS_CONFIG;
  addClassifyOptions(program
    .command('classify')
    .description('train and test a multimodal classifier (Table I models and the PMR/UMT/IMML plug-ins)')
    .option('--variant <name>', 'split variant (default: mvsa-single clmlf, others their default)')
    .option('--plugin <list>', `plug-ins, comma-separated, in order: ${clsPluginNames().join(', ')}`)
    .option('--modalities <list>', 'modalities to use (default: all the dataset has)')
    .option('--features <modality=file>', 'precomputed per-sample features (.npy + .ids.txt, or .jsonl), repeatable', collectFeatures, {})
    .option('--noise <list>', 'test noise levels eps', d.noise.join(','))
    .option('--quiet', 'no progress bars'))
    .action(async (o: Record<string, unknown>) => {
      const config = classifyConfig(o);
      await checkDatasetAvailable(config.dataset);
      await selectBackend(config.backend, (m) => console.log(m));
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
