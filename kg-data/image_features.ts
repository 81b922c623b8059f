/**
 * Per-entity image features from images with a CNN in ONNX format (`mmkge image-features`), the
 * way IKRL (Xie et al., IJCAI 2017) builds its image modality: every image of an entity goes
 * through a pre-trained network, the chosen layer's output is its feature, and an entity's
 * feature is the mean over its images. Entities without images get a zero row (mask 0).
 *
 * - Images map to entities by file name: `<entity>_*.jpg` / `.jpeg` / `.png` (the longest prefix
 *   before an `_` that is an entity key) or `<entity>/*.jpg`.
 * - Preprocessing = the torchvision ImageNet eval transform: shorter side `resize` (256) with the
 *   antialiased triangle filter of Pillow's BILINEAR (src/image.ts), centre crop `crop`
 *   (224, Python-round offsets), /255, ImageNet mean/std, NCHW float32.
 * - `layer` may be any tensor of the graph: it is added to the graph outputs by editing the model
 *   protobuf (onnx-proto) before the onnxruntime session is created. A quantised tensor (uint8 /
 *   int8, with `<name>_scale` and `<name>_zero_point` initialisers, `<name>` without a
 *   `_quantized` suffix also tried) is dequantised: x = (q - zero_point) * scale.
 * - Rows are accumulated in float64 and stored as float32 .npy in the dataset's entity-id order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { writeNpy } from '../src/npy';
import { Progress } from '../src/progress';
import { centerCrop, IMAGENET_MEAN, IMAGENET_STD, normalizeImage, readImageFile, resizeShorterSide } from '../src/image';

/** Image file extensions read (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** Options of {@link extractImageFeatures}. */
export interface ImageFeatureOptions {
  /** The ONNX network. */
  readonly model: string;
  /** Folder of the images (`<entity>_*.jpg` or `<entity>/*.jpg`). */
  readonly images: string;
  /** Entity keys in id order (the output's row order). */
  readonly entities: readonly string[];
  /** Tensor whose values are the features (default: the graph's first output). */
  readonly layer?: string;
  /** Shorter side before the crop (default 256). */
  readonly resize?: number;
  /** Square crop side (default 224). */
  readonly crop?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** Images per onnxruntime call (default 16). */
  readonly batchSize?: number;
  /** onnxruntime intra-op threads (default: every core). */
  readonly threads?: number;
  /** Progress bar (default true). */
  readonly progress?: boolean;
  readonly log?: (m: string) => void;
}

/** What {@link extractImageFeatures} computed. */
export interface ImageFeatureResult {
  /** Row-major [entities, dim]. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
  /** Entities with at least one image. */
  readonly withImages: number;
  readonly images: number;
  /** Image files whose name matches no entity (skipped). */
  readonly unmatched: string[];
  /** How the layer was read (`dequantised uint8, scale s, zero point z` or `float`). */
  readonly readout: string;
}

/** Dequantisation of a quantised tensor. */
interface Quantisation {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly type: string;
}

/** Scalar value of an initialiser (float or integer, in its typed field or raw little-endian bytes). */
function scalarOf(t: onnx.ITensorProto, file: string): number {
  if (t.floatData && t.floatData.length > 0) return t.floatData[0];
  if (t.int32Data && t.int32Data.length > 0) return t.int32Data[0];
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    switch (t.dataType) {
      case onnx.TensorProto.DataType.FLOAT:
        return view.readFloatLE(0);
      case onnx.TensorProto.DataType.UINT8:
        return view.readUInt8(0);
      case onnx.TensorProto.DataType.INT8:
        return view.readInt8(0);
      case onnx.TensorProto.DataType.INT32:
        return view.readInt32LE(0);
      default:
        break;
    }
  }
  // proto3 drops zero-valued scalars: an empty integer tensor is 0.
  if (t.dataType === onnx.TensorProto.DataType.UINT8 || t.dataType === onnx.TensorProto.DataType.INT8 || t.dataType === onnx.TensorProto.DataType.INT32) return 0;
  throw new Error(`${file}: initialiser '${t.name}' has no readable scalar value`);
}

/**
 * The model's bytes with `layer` among the graph outputs, and how to dequantise it. Errors name
 * the file: unreadable protobuf, a tensor no node produces (with some names that exist).
 */
export function modelWithOutput(bytes: Uint8Array, layer: string | undefined, file: string): { bytes: Uint8Array; output: string; quantisation?: Quantisation } {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${file}: not an ONNX model (${(err as Error).message})`);
  }
  const g = model.graph as onnx.GraphProto | null;
  if (!g || g.output.length === 0) throw new Error(`${file}: the model has no graph outputs`);
  const output: string = layer ?? String(g.output[0].name);
  const producers = g.node as onnx.NodeProto[];
  const inits = new Map((g.initializer as onnx.TensorProto[]).map((t) => [t.name, t]));
  const base = output.replace(/_quantized$/, '');
  const scaleT = inits.get(`${base}_scale`) ?? inits.get(`${output}_scale`);
  const zeroT = inits.get(`${base}_zero_point`) ?? inits.get(`${output}_zero_point`);
  const quantisation = scaleT && zeroT
    ? { scale: scalarOf(scaleT, file), zeroPoint: scalarOf(zeroT, file), type: zeroT.dataType === onnx.TensorProto.DataType.INT8 ? 'int8' : 'uint8' }
    : undefined;
  if ((g.output as onnx.ValueInfoProto[]).some((o) => o.name === output)) return { bytes, output, quantisation };
  if (!producers.some((n) => n.output.includes(output))) {
    const some = producers.slice(-6).flatMap((n) => n.output);
    throw new Error(`${file}: no node produces tensor '${output}' (--layer); e.g. ${some.join(', ')}`);
  }
  const known = (g.valueInfo as onnx.ValueInfoProto[]).find((v) => v.name === output);
  const elemType = zeroT ? zeroT.dataType : onnx.TensorProto.DataType.FLOAT;
  (g.output as onnx.IValueInfoProto[]).push(known ?? onnx.ValueInfoProto.create({ name: output, type: { tensorType: { elemType } } }));
  return { bytes: onnx.ModelProto.encode(model).finish(), output, quantisation };
}

/**
 * Image files per entity id (module comment). Returns the pairs in a fixed order (sorted paths)
 * and the files that match no entity.
 */
export function mapImagesToEntities(dir: string, entityIndex: ReadonlyMap<string, number>): { pairs: { file: string; entity: number }[]; unmatched: string[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--images ${dir}: not a directory`);
  const isImage = (f: string): boolean => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());
  const pairs: { file: string; entity: number }[] = [];
  const unmatched: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) {
      const id = entityIndex.get(name);
      for (const f of fs.readdirSync(full).sort().filter(isImage)) {
        if (id === undefined) unmatched.push(path.join(full, f));
        else pairs.push({ file: path.join(full, f), entity: id });
      }
      continue;
    }
    if (!isImage(name)) continue;
    const stem = name.slice(0, name.length - path.extname(name).length);
    const parts = stem.split('_');
    let id: number | undefined;
    for (let k = parts.length - 1; k >= 1 && id === undefined; k--) id = entityIndex.get(parts.slice(0, k).join('_'));
    if (id === undefined) unmatched.push(full);
    else pairs.push({ file: full, entity: id });
  }
  return { pairs, unmatched };
}

/**
 * Entity keys named by the images of `dir` when no dataset fixes them: each sub-folder's name and
 * each top-level file's prefix before its first `_`, sorted (the row order of the output).
 */
export function keysFromImages(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--images ${dir}: not a directory`);
  const keys = new Set<string>();
  for (const name of fs.readdirSync(dir)) {
    if (fs.statSync(path.join(dir, name)).isDirectory()) keys.add(name);
    else if (IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()) && name.includes('_')) keys.add(name.slice(0, name.indexOf('_')));
  }
  return [...keys].sort();
}

/** One image as NCHW float32 [3, crop, crop] after the ImageNet eval transform. */
export function preprocessForCnn(file: string, opts: Pick<ImageFeatureOptions, 'resize' | 'crop' | 'mean' | 'std'> = {}): Float32Array {
  const crop = opts.crop ?? 224;
  const img = resizeShorterSide(readImageFile(file), opts.resize ?? 256);
  return normalizeImage(centerCrop(img, crop, crop), opts.mean ?? IMAGENET_MEAN, opts.std ?? IMAGENET_STD, 'chw');
}

/** Compute the per-entity features (module comment). */
export async function extractImageFeatures(opts: ImageFeatureOptions): Promise<ImageFeatureResult> {
  const log = opts.log ?? (() => undefined);
  const crop = opts.crop ?? 224;
  const batchSize = opts.batchSize ?? 16;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`--batch-size must be a positive integer, got ${batchSize}`);
  const index = new Map(opts.entities.map((k, i) => [k, i]));
  const { pairs, unmatched } = mapImagesToEntities(opts.images, index);
  if (pairs.length === 0) throw new Error(`--images ${opts.images}: no image file (${IMAGE_EXTENSIONS.join(', ')}) is named after an entity (<entity>_*.jpg or <entity>/*.jpg)`);
  let modelBytes: Uint8Array;
  try {
    modelBytes = fs.readFileSync(opts.model);
  } catch (err) {
    throw new Error(`--model ${opts.model}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const edited = modelWithOutput(modelBytes, opts.layer, opts.model);
  const threads = opts.threads ?? (os.availableParallelism?.() ?? os.cpus().length);
  const session = await ort.InferenceSession.create(edited.bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const inputName = session.inputNames[0];
  const readout = edited.quantisation ? `dequantised ${edited.quantisation.type}, scale ${edited.quantisation.scale}, zero point ${edited.quantisation.zeroPoint}` : 'float';
  log(`image features: ${pairs.length} images of ${new Set(pairs.map((p) => p.entity)).size} entities, ${unmatched.length} unmatched; layer '${edited.output}' (${readout}); ${threads} threads, batch ${batchSize}`);

  let sums: Float64Array | undefined;
  let dim = 0;
  const counts = new Uint32Array(opts.entities.length);
  const bar = new Progress('image features', pairs.length, opts.progress ?? true, 10000);
  try {
    for (let start = 0; start < pairs.length; start += batchSize) {
      const batch = pairs.slice(start, start + batchSize);
      const input = new Float32Array(batch.length * 3 * crop * crop);
      batch.forEach((p, k) => input.set(preprocessForCnn(p.file, opts), k * 3 * crop * crop));
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [batch.length, 3, crop, crop]) }, [edited.output]);
      const t = out[edited.output];
      const values = t.data as ArrayLike<number>;
      const per = values.length / batch.length;
      if (sums === undefined) {
        dim = per;
        sums = new Float64Array(opts.entities.length * dim);
      } else if (per !== dim) throw new Error(`layer '${edited.output}' gave ${per} values per image, earlier ${dim}`);
      const q = edited.quantisation;
      batch.forEach((p, k) => {
        const base = p.entity * dim;
        for (let j = 0; j < dim; j++) {
          const v = values[k * dim + j];
          (sums as Float64Array)[base + j] += q ? (v - q.zeroPoint) * q.scale : v;
        }
        counts[p.entity]++;
      });
      bar.update(Math.min(start + batchSize, pairs.length));
    }
  } finally {
    bar.stop();
    await session.release();
  }
  const data = new Float32Array(opts.entities.length * dim);
  let withImages = 0;
  for (let e = 0; e < opts.entities.length; e++) {
    if (counts[e] === 0) continue;
    withImages++;
    for (let j = 0; j < dim; j++) data[e * dim + j] = (sums as Float64Array)[e * dim + j] / counts[e];
  }
  return { data, rows: opts.entities.length, dim, withImages, images: pairs.length, unmatched, readout };
}

/** {@link extractImageFeatures} and write the .npy (gzipped when `out` ends in `.gz`). */
export async function writeImageFeatures(out: string, opts: ImageFeatureOptions): Promise<ImageFeatureResult> {
  const r = await extractImageFeatures(opts);
  writeNpy(out, r.data, [r.rows, r.dim]);
  opts.log?.(`wrote ${out} [${r.rows}, ${r.dim}] float32: ${r.withImages} of ${r.rows} entities have images (${r.images} images averaged per entity), the others are zero rows`);
  return r;
}
