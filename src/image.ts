/**
 * Image input shared by both tasks (the classification images of cls-data, the entity images that
 * kg-data turns into CNN features): decode JPEG (jpeg-js) and PNG (pngjs) to RGB float32 in
 * 0..255, resize with a bilinear (triangle) filter, centre-crop, and mean/std normalisation
 * (ImageNet statistics by default). Nothing here knows a dataset.
 *
 * The resize is the triangle filter of PIL's `Image.resize(..., BILINEAR)` (which torchvision's
 * `Resize` calls): when shrinking, the filter support widens with the scale so that every input
 * pixel contributes (no aliasing); when enlarging it is plain bilinear interpolation with pixel
 * centres at i + 0.5 and edge clamping. Results stay float (PIL would round to uint8).
 */
import * as fs from 'node:fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A decoded RGB image: row-major height x width x 3 (HWC), values in 0..255 pixel units. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Length width*height*3; channel order R, G, B. */
  readonly data: Float32Array;
}

/** An image that cannot be read or decoded; the message starts with the file (or source id). */
export class ImageError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ImageError';
  }
}

/** ImageNet channel means (torchvision), for inputs scaled to [0, 1]. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (torchvision). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
/**
 * Decode JPEG or PNG bytes (format from the magic number) to an {@link RgbImage}. Greyscale
 * and palette images become RGB; an alpha channel is dropped (as PIL's `convert('RGB')`).
 * `source` names the image in errors (a file path or an id).
 */
export function decodeImage(bytes: Uint8Array, source: string): RgbImage {
  let rgba: { width: number; height: number; data: Uint8Array };
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  try {
    if (isJpeg) rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    else if (isPng) rgba = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    else {
      const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ImageError(source, `unreadable image: not a JPEG or PNG (first bytes ${head || 'none'})`);
    }
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(source, `unreadable ${isJpeg ? 'JPEG' : 'PNG'} image (${(err as Error).message ?? err})`);
  }
  const { width, height } = rgba;
  if (!(width > 0 && height > 0) || rgba.data.length < width * height * 4) {
    throw new ImageError(source, `unreadable image: decoded to ${width}x${height} with ${rgba.data.length} bytes`);
  }
  const data = new Float32Array(width * height * 3);
  for (let p = 0, n = width * height; p < n; p++) {
    data[3 * p] = rgba.data[4 * p];
    data[3 * p + 1] = rgba.data[4 * p + 1];
    data[3 * p + 2] = rgba.data[4 * p + 2];
  }
  return { width, height, data };
}

/** Read and decode an image file; errors name the file. */
export function readImageFile(file: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ImageError(file, `unreadable image: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return decodeImage(bytes, file);
}

/** Per output index: first input index and normalised triangle-filter weights. */
function axisWeights(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const scale = inSize / outSize;
  // Shrinking by s widens the triangle to support s, averaging all covered inputs (anti-aliasing).
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const out: { start: number; weights: Float64Array }[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights = new Float64Array(Math.max(hi - lo, 0));
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x + 0.5 - center) / filterScale));
      weights[x - lo] = w;
      sum += w;
    }
    if (sum > 0) for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    out.push({ start: lo, weights });
  }
  return out;
}

/**
 * One separable pass over RGB pixels: along each of `lines` lines, out pixel i = sum_k
 * w_i[k] in pixel (start_i + k). Pixel p of line l sits at l * inLine + p * inStep in `src`
 * (l * outLine + i * outStep in `out`), in pixels; both passes of the resize are this loop.
 */
function resizePass(
  src: Float32Array, axis: { start: number; weights: Float64Array }[], lines: number,
  inLine: number, inStep: number, outLine: number, outStep: number, out: Float32Array,
): Float32Array {
  for (let l = 0; l < lines; l++) {
    for (let i = 0; i < axis.length; i++) {
      const { start, weights } = axis[i];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const o = 3 * (l * inLine + (start + k) * inStep);
        r += weights[k] * src[o];
        g += weights[k] * src[o + 1];
        b += weights[k] * src[o + 2];
      }
      const t = 3 * (l * outLine + i * outStep);
      out[t] = r;
      out[t + 1] = g;
      out[t + 2] = b;
    }
  }
  return out;
}

/**
 * Resize to `width` x `height` with the bilinear (triangle) filter described in the module
 * comment: out(i) = sum_x tri((x + 0.5 - c_i) / max(s, 1)) in(x) / normaliser,
 * c_i = (i + 0.5) s, s = in / out, separably over columns then rows.
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`resizeBilinear: target size must be positive integers, got ${width}x${height}`);
  }
  const { width: w0, height: h0, data: src } = img;
  // columns first (each of the h0 rows of the input), then rows (each of the `width` columns)
  const tmp = resizePass(src, axisWeights(w0, width), h0, w0, 1, width, 1, new Float32Array(h0 * width * 3));
  const out = resizePass(tmp, axisWeights(h0, height), width, 1, width, 1, width, new Float32Array(height * width * 3));
  return { width, height, data: out };
}

/**
 * Resize so that the shorter side is `size` and the longer side floor(size * long / short),
 * keeping the aspect ratio (torchvision `Resize(size)` with an int).
 */
export function resizeShorterSide(img: RgbImage, size: number): RgbImage {
  if (img.width <= img.height) return resizeBilinear(img, size, Math.floor((size * img.height) / img.width));
  return resizeBilinear(img, Math.floor((size * img.width) / img.height), size);
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offsets use it). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Centre crop to `width` x `height` (torchvision `CenterCrop`): offsets
 * round((W - width) / 2), round((H - height) / 2). Error if the image is smaller.
 */
export function centerCrop(img: RgbImage, width: number, height: number): RgbImage {
  if (width > img.width || height > img.height) throw new Error(`centerCrop: cannot crop ${width}x${height} from a ${img.width}x${img.height} image`);
  const left = roundHalfEven((img.width - width) / 2);
  const top = roundHalfEven((img.height - height) / 2);
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = 3 * ((top + y) * img.width + left);
    out.set(img.data.subarray(from, from + 3 * width), 3 * y * width);
  }
  return { width, height, data: out };
}

/** Memory layout of a normalised image: HWC (TensorFlow.js default) or CHW (PyTorch). */
export type ImageLayout = 'hwc' | 'chw';

/**
 * Normalise 0..255 pixels: out = (v / 255 - mean[c]) / std[c] per channel c, in `layout`
 * (default `'hwc'`, shape [H, W, 3]; `'chw'` gives [3, H, W]).
 */
export function normalizeImage(img: RgbImage, mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD, layout: ImageLayout = 'hwc'): Float32Array {
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0))) throw new Error(`normalizeImage: need 3 means and 3 positive stds, got [${mean}] / [${std}]`);
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = (img.data[3 * p + c] / 255 - mean[c]) / std[c];
      out[layout === 'hwc' ? 3 * p + c : c * n + p] = v;
    }
  }
  return out;
}
