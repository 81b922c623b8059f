import * as fs from 'node:fs';
import { format } from 'fast-csv';

/** One epoch of the loss curve. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  seconds: number;
  triplesPerSecond: number;
  /** Filtered valid MRR when this epoch was validated, else null. */
  validMrr: number | null;
}

/** Write the loss curve as CSV with fast-csv, atomically (temp file + rename). */
export async function writeLossCurve(file: string, records: readonly EpochRecord[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await new Promise<void>((resolve, reject) => {
    const stream = format({ headers: ['epoch', 'loss', 'seconds', 'triples_per_second', 'valid_mrr'] });
    const sink = fs.createWriteStream(tmp);
    sink.on('finish', resolve);
    sink.on('error', reject);
    stream.on('error', reject);
    stream.pipe(sink);
    for (const r of records) stream.write([r.epoch, r.loss, r.seconds.toFixed(3), Math.round(r.triplesPerSecond), r.validMrr ?? '']);
    stream.end();
  });
  fs.renameSync(tmp, file);
}

/**
 * Read a loss curve written by {@link writeLossCurve} (its values are plain numbers, so a line split
 * is exact); an empty valid_mrr cell is an epoch that was not validated.
 */
export function readLossCurve(file: string): EpochRecord[] {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 5) throw new Error(`${file}, line ${i + 2}: expected 5 cells (epoch,loss,seconds,triples_per_second,valid_mrr), got ${cells.length}`);
    const [epoch, loss, seconds, triplesPerSecond, validMrr] = cells;
    return { epoch: Number(epoch), loss: Number(loss), seconds: Number(seconds), triplesPerSecond: Number(triplesPerSecond), validMrr: validMrr === '' ? null : Number(validMrr) };
  });
}
