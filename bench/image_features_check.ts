/**
 * Agreement of `mmkge image-features` with reference features: mean / min cosine over the rows
 * that are nonzero in the reference, and how many rows are nonzero in each.
 *   node dist/bench/image_features_check.js OURS.npy REFERENCE.npy[.gz]
 */
import { readNpy } from '../src/npy';

function main(argv: string[]): void {
  const [oursFile, refFile] = argv;
  if (!oursFile || !refFile) throw new Error('usage: node dist/bench/image_features_check.js OURS.npy REFERENCE.npy[.gz]');
  const ours = readNpy(oursFile);
  const ref = readNpy(refFile);
  if (ours.shape.join() !== ref.shape.join()) throw new Error(`shapes differ: [${ours.shape}] vs [${ref.shape}]`);
  const [rows, dim] = ref.shape;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let oursNonzero = 0;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    for (let j = 0; j < dim; j++) {
      const a = ours.data[r * dim + j];
      const b = ref.data[r * dim + j];
      dot += a * b;
      a2 += a * a;
      b2 += b * b;
    }
    if (a2 > 0) oursNonzero++;
    if (b2 === 0) continue;
    const cos = a2 === 0 ? 0 : dot / Math.sqrt(a2 * b2);
    n++;
    sum += cos;
    min = Math.min(min, cos);
  }
  console.log(`rows nonzero: ours ${oursNonzero}, reference ${n}; cosine over the reference rows: mean ${(sum / n).toFixed(4)}, min ${min.toFixed(4)}`);
}

main(process.argv.slice(2));
