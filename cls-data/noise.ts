/**
 * Test-time corruption protocols of the classification tables (the IMML paper's Table I reports
 * noise eps in {0, 5}, added to the test set only).
 *
 * {@link addTextNoise} and {@link addImageNoise} follow QMF's official code
 * (QingyangZhang/QMF, text-image-classification/src/data/dataset.py `JsonlDataset.__getitem__`
 * and `AddGaussianNoise`, helpers.py `get_GaussianNoisetransforms`):
 * - text: with probability 0.5 per sample, split the raw text on single spaces and replace each
 *   piece by `_` with probability 0.1*eps, then join with spaces (and tokenise as usual);
 * - image: `RandomApply(AddGaussianNoise(variance=10*eps), p=0.5)` after `Resize(256)` and
 *   before `CenterCrop`/`ToTensor`/`Normalize`: one N(0, (10*eps)^2) draw per pixel position,
 *   the same value added to R, G and B (QMF draws an [h, w, 1] field and repeats it over the
 *   channels), in 0..255 pixel units, then the uint8 conversion.
 *
 * Deliberate differences from QMF's code, both fixes of accidents rather than of the protocol:
 * QMF calls `np.random.seed(0)` inside `AddGaussianNoise`, so every noised image gets the same
 * noise field and the global NumPy stream is reset; here each image draws its own field from the
 * caller's seeded {@link Rng}. QMF clips only above 255 and then casts with `astype('uint8')`,
 * which wraps negative values around (-3 -> 253); here values are clipped to [0, 255] and then
 * truncated to integers as the cast does.
 *
 * {@link addFeatureNoise} is NOT part of QMF's protocol: it is this project's analogue for
 * precomputed feature vectors, where there are no pixels to corrupt.
 */
import type { Rng } from '../src/rng';
import type { RgbImage } from '../src/image';
import type { Sample } from './sample';

/** Probability that a sample is corrupted at all (QMF: `p=[0.5, 0.5]` / `RandomApply(p=0.5)`). */
export const NOISE_SAMPLE_PROBABILITY = 0.5;

/** The token a dropped word becomes (QMF). */
export const BLANK_WORD = '_';

function checkEps(eps: number, max: number, what: string): void {
  if (!(eps >= 0 && eps <= max)) throw new Error(`${what}: eps must be in [0, ${max}], got ${eps}`);
}

/**
 * QMF text noise: with probability 0.5, each space-separated piece of `text` becomes `_` with
 * probability 0.1*eps (eps in [0, 10]). Pieces are split on a single space exactly as Python's
 * `str.split(' ')`, so runs of spaces give empty pieces that can also become `_`.
 * eps = 0 returns `text` without drawing from `rng`. Draw order: one coin for the sample, then
 * one uniform per piece.
 */
export function addTextNoise(text: string, eps: number, rng: Rng): string {
  checkEps(eps, 10, 'addTextNoise');
  if (eps === 0) return text;
  if (rng.next() >= NOISE_SAMPLE_PROBABILITY) return text;
  const p = 0.1 * eps;
  return text
    .split(' ')
    .map((w) => (rng.next() < p ? BLANK_WORD : w))
    .join(' ');
}

/** Options of {@link addImageNoise}. */
export interface ImageNoiseOptions {
  /** Truncate to integers after clipping, as QMF's uint8 conversion does (default true). */
  readonly quantize?: boolean;
  /** Probability that the image is noised (default {@link NOISE_SAMPLE_PROBABILITY}). */
  readonly probability?: number;
}

/**
 * QMF image noise: with probability 0.5, add one N(0, (10*eps)^2) value per pixel position to
 * all three channels of `image` (0..255 units, before normalisation), clip to [0, 255] and
 * truncate to integers. eps in [0, 25]. Returns a new image when noised, otherwise `image`
 * itself; eps = 0 draws nothing from `rng`.
 */
export function addImageNoise(image: RgbImage, eps: number, rng: Rng, opts: ImageNoiseOptions = {}): RgbImage {
  checkEps(eps, 25, 'addImageNoise');
  if (eps === 0) return image;
  if (rng.next() >= (opts.probability ?? NOISE_SAMPLE_PROBABILITY)) return image;
  const std = 10 * eps;
  const quantize = opts.quantize ?? true;
  const src = image.data;
  const out = new Float32Array(src.length);
  const pixels = image.width * image.height;
  for (let p = 0; p < pixels; p++) {
    const n = std * rng.normal();
    for (let c = 0; c < 3; c++) {
      let v = src[3 * p + c] + n;
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      out[3 * p + c] = quantize ? Math.floor(v) : v;
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/** Options of {@link addFeatureNoise}. */
export interface FeatureNoiseOptions {
  /** Probability that the vector is noised (default 0.5, as in QMF's protocol). */
  readonly probability?: number;
  /** Noise std per unit of eps (default 0.1). */
  readonly stdPerEps?: number;
  /** Scale the std by the vector's root mean square (default true), so the noise is relative. */
  readonly relative?: boolean;
}

/**
 * Feature-vector noise (this project's protocol, NOT QMF's): with probability 0.5, add
 * i.i.d. N(0, s^2) to every component, s = stdPerEps * eps * (relative ? rms(vec) : 1), with
 * rms(vec) = sqrt(mean(vec_i^2)). Defaults give s = 0.1*eps*rms, i.e. eps = 5 adds noise of half
 * the vector's typical magnitude. Returns a new vector when noised, otherwise `vec` itself.
 */
export function addFeatureNoise(vec: Float32Array, eps: number, rng: Rng, opts: FeatureNoiseOptions = {}): Float32Array {
  if (!(eps >= 0)) throw new Error(`addFeatureNoise: eps must be >= 0, got ${eps}`);
  if (eps === 0) return vec;
  if (rng.next() >= (opts.probability ?? NOISE_SAMPLE_PROBABILITY)) return vec;
  let scale = 1;
  if (opts.relative ?? true) {
    let ss = 0;
    for (let i = 0; i < vec.length; i++) ss += vec[i] * vec[i];
    scale = vec.length > 0 ? Math.sqrt(ss / vec.length) : 0;
  }
  const s = (opts.stdPerEps ?? 0.1) * eps * scale;
  const out = new Float32Array(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = vec[i] + s * rng.normal();
  return out;
}

/**
 * Apply {@link addTextNoise} to the text modality `modality` (default `'text'`) of each sample,
 * in order, with one `rng` (derive it from the run seed, e.g. `rng.derive('test-noise')`).
 * Returns new samples; samples without that modality are returned unchanged.
 */
export function noisyTextSamples(samples: readonly Sample[], eps: number, rng: Rng, modality = 'text'): Sample[] {
  return samples.map((s) => {
    const m = s.modalities[modality];
    if (!m || m.kind !== 'text') return s;
    const text = addTextNoise(m.text, eps, rng);
    if (text === m.text) return s;
    const next: Sample = { ...s, modalities: { ...s.modalities, [modality]: { kind: 'text', text } } };
    return modality === 'text' ? { ...next, text } : next;
  });
}

/**
 * Apply {@link addFeatureNoise} to the feature modality `modality` of each sample, in order.
 * Returns new samples; samples without a feature vector there are returned unchanged.
 */
export function noisyFeatureSamples(samples: readonly Sample[], modality: string, eps: number, rng: Rng, opts: FeatureNoiseOptions = {}): Sample[] {
  return samples.map((s) => {
    const m = s.modalities[modality];
    if (!m || m.kind !== 'features') return s;
    const data = addFeatureNoise(m.data, eps, rng, opts);
    return data === m.data ? s : { ...s, modalities: { ...s.modalities, [modality]: { ...m, data } } };
  });
}
