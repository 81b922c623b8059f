/**
 * Classification training speed: seconds per epoch of QMF and QMF + IMML on HFM (19,816
 * training samples, text + attribute words, 100-d GloVe bags, batch 128), and their ratio (the
 * issue asks IMML to cost at most 1.5x the base model). Exported for bench/bench.ts:
 * `runClsBench()` returns and prints the numbers; `node dist/bench/cls_bench.js` runs it alone.
 */
import { selectBackend } from '../src/backend';
import { clsConfig } from '../src/app/classification/config';
import type { ImmlOptions } from '../imml/options';
import { ClsTrainer, prepareClsData } from '../src/app/classification/train';

export interface ClsBenchResult {
  dataset: string;
  backend: string;
  trainSamples: number;
  batchSize: number;
  /** Seconds of one training epoch (the second of two; evaluation excluded). */
  qmfSecondsPerEpoch: number;
  qmfImmlSecondsPerEpoch: number;
  /** qmfImml / qmf. */
  ratio: number;
  /** QMF + IMML with L_mdke on at most 64 samples and 64-d projection heads. */
  cheapMdkeSecondsPerEpoch: number;
  cheapRatio: number;
}

/** Time `epochs` training epochs of a config and return the seconds of the last one. */
async function epochSeconds(plugins: string[], epochs: number, data: Awaited<ReturnType<typeof prepareClsData>>, imml: Partial<ImmlOptions> = {}): Promise<number> {
  const config = clsConfig({ dataset: 'hfm', model: 'qmf', plugins, epochs, patience: 0, quiet: true, seed: 1, imml: imml as ImmlOptions });
  const trainer = new ClsTrainer(config, data);
  const fit = await trainer.fit();
  return fit.history[fit.history.length - 1].seconds;
}

/** Measure and print seconds per epoch of QMF and QMF + IMML on HFM. */
export async function runClsBench(opts: { epochs?: number; log?: (m: string) => void } = {}): Promise<ClsBenchResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const backend = await selectBackend('auto');
  const epochs = opts.epochs ?? 2;
  const data = await prepareClsData(clsConfig({ dataset: 'hfm' }));
  const qmf = await epochSeconds([], epochs, data);
  const imml = await epochSeconds(['imml'], epochs, data);
  const cheap = await epochSeconds(['imml'], epochs, data, { mdkeRows: 64, projectionDim: 64 });
  const result: ClsBenchResult = {
    dataset: 'hfm',
    backend,
    trainSamples: data.train.size,
    batchSize: clsConfig().batchSize,
    qmfSecondsPerEpoch: qmf,
    qmfImmlSecondsPerEpoch: imml,
    ratio: imml / qmf,
    cheapMdkeSecondsPerEpoch: cheap,
    cheapRatio: cheap / qmf,
  };
  log(
    `classification (HFM, ${result.trainSamples} train samples, batch ${result.batchSize}, ${backend}): ` +
      `QMF ${qmf.toFixed(2)} s/epoch, QMF + IMML ${imml.toFixed(2)} s/epoch, ratio ${result.ratio.toFixed(2)}x (target <= 1.5x); ` +
      `with --imml-mdke-rows 64 --imml-projection-dim 64: ${cheap.toFixed(2)} s/epoch, ${result.cheapRatio.toFixed(2)}x`,
  );
  return result;
}

if (require.main === module) {
  runClsBench().catch((err: unknown) => {
    process.stderr.write(`cls_bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
