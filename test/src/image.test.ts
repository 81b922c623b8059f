import { expect } from 'chai';
import * as jpeg from 'jpeg-js';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  ImageError,
  centerCrop,
  decodeImage,
  normalizeImage,
  readImageFile,
  resizeBilinear,
  resizeShorterSide,
  type RgbImage,
} from '../../src/image';
import { removeTmpDirs, thrown, tmpDir, writeFile } from '../cls-data/helpers';

/** RGBA bytes of a w x h image whose pixel (x, y) is f(x, y) = [r, g, b]. */
function rgba(w: number, h: number, f: (x: number, y: number) => number[]): Buffer {
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      out.set([r, g, b, 255], 4 * (y * w + x));
    }
  }
  return out;
}

function pngBytes(w: number, h: number, f: (x: number, y: number) => number[], opts: { alpha?: number; colorType?: 0 | 2 | 6 } = {}): Buffer {
  const png = new PNG({ width: w, height: h, colorType: opts.colorType ?? 6 });
  const data = rgba(w, h, f);
  if (opts.alpha !== undefined) for (let p = 0; p < w * h; p++) data[4 * p + 3] = opts.alpha;
  png.data = data;
  return PNG.sync.write(png, { colorType: opts.colorType ?? 6 });
}

function image(w: number, h: number, f: (x: number, y: number) => number[]): RgbImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), 3 * (y * w + x));
  return { width: w, height: h, data };
}

const channel = (img: RgbImage, c: number): number[] => Array.from({ length: img.width * img.height }, (_, p) => img.data[3 * p + c]);

describe('src/image', () => {
  after(removeTmpDirs);

  it('decodes PNG exactly (RGB kept, alpha dropped, greyscale expanded)', () => {
    const f = (x: number, y: number) => [x * 40, y * 50, 7];
    const img = decodeImage(pngBytes(5, 3, f, { alpha: 10 }), 'mem.png');
    expect([img.width, img.height]).to.deep.equal([5, 3]);
    expect(Array.from(img.data)).to.deep.equal(Array.from(image(5, 3, f).data));
    const grey = decodeImage(pngBytes(2, 2, (x, y) => [x * 100 + y, x * 100 + y, x * 100 + y], { colorType: 0 }), 'grey.png');
    expect(Array.from(grey.data)).to.deep.equal([0, 0, 0, 100, 100, 100, 1, 1, 1, 101, 101, 101]);
  });

  it('decodes JPEG (lossy: close to the encoded colours)', () => {
    const f = (x: number) => (x < 8 ? [200, 30, 30] : [20, 40, 220]);
    const bytes = jpeg.encode({ width: 16, height: 8, data: rgba(16, 8, f) }, 100).data;
    const dir = tmpDir();
    const file = writeFile(dir, 'a.jpg', bytes);
    const img = readImageFile(file);
    expect([img.width, img.height]).to.deep.equal([16, 8]);
    const want = image(16, 8, f);
    // Away from the colour edge a quality-100 JPEG is within a few levels.
    for (const x of [1, 2, 13, 14]) for (let c = 0; c < 3; c++) expect(Math.abs(img.data[3 * (4 * 16 + x) + c] - want.data[3 * (4 * 16 + x) + c])).to.be.lessThan(6);
  });

  it('errors for unreadable images name the file', () => {
    const dir = tmpDir();
    const garbage = writeFile(dir, 'x.jpg', 'hello world');
    let e = thrown(() => readImageFile(garbage));
    expect(e).to.be.instanceOf(ImageError);
    expect((e as ImageError).file).to.equal(garbage);
    expect(e.message).to.equal(`${garbage}: unreadable image: not a JPEG or PNG (first bytes 68 65 6c 6c)`);
    const good = jpeg.encode({ width: 8, height: 8, data: rgba(8, 8, () => [1, 2, 3]) }, 90).data;
    const truncated = writeFile(dir, 't.jpg', good.subarray(0, 40));
    e = thrown(() => readImageFile(truncated));
    expect(e.message).to.match(new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unreadable JPEG image`));
    const badPng = writeFile(dir, 'b.png', pngBytes(4, 4, () => [1, 2, 3]).subarray(0, 30));
    expect(thrown(() => readImageFile(badPng)).message).to.contain(`${badPng}: unreadable PNG image`);
    expect(thrown(() => readImageFile(path.join(dir, 'none.png'))).message).to.equal(`${path.join(dir, 'none.png')}: unreadable image: cannot read (ENOENT)`);
  });

  it('bilinear enlarging interpolates between pixel centres with edge clamping', () => {
    const img = image(2, 1, (x) => [x * 100, 50, 200 - x * 100]);
    const up = resizeBilinear(img, 4, 1);
    expect(channel(up, 0)).to.deep.equal([0, 25, 75, 100]);
    expect(channel(up, 1)).to.deep.equal([50, 50, 50, 50]);
    expect(channel(up, 2)).to.deep.equal([200, 175, 125, 100]);
  });

  it('bilinear shrinking widens the triangle filter (PIL): 4 -> 2 of 0,10,20,30 gives 50/7 and 160/7', () => {
    const down = resizeBilinear(image(4, 1, (x) => [10 * x, 10 * x, 10 * x]), 2, 1);
    const r = channel(down, 0);
    expect(r[0]).to.be.closeTo(50 / 7, 1e-4);
    expect(r[1]).to.be.closeTo(160 / 7, 1e-4);
  });

  it('resize keeps constants and linear ramps; identity at the same size', () => {
    const c = resizeBilinear(image(37, 23, () => [12, 34, 56]), 8, 8);
    for (let p = 0; p < 64; p++) expect(Array.from(c.data.subarray(3 * p, 3 * p + 3)).map((v) => Math.round(v * 1e4) / 1e4)).to.deep.equal([12, 34, 56]);
    const src = image(6, 5, (x, y) => [x * 10 + y, 3 * y, 255 - x]);
    expect(Array.from(resizeBilinear(src, 6, 5).data)).to.deep.equal(Array.from(src.data));
    // A linear ramp stays linear inside the image when enlarging (x: 0..5 -> 12 outputs).
    const ramp = channel(resizeBilinear(image(6, 1, (x) => [x, 0, 0]), 12, 1), 0);
    for (let i = 2; i < 10; i++) expect(ramp[i + 1] - ramp[i]).to.be.closeTo(0.5, 1e-5);
    expect(() => resizeBilinear(src, 0, 3)).to.throw(/positive integers/);
  });

  it('resizeShorterSide and centerCrop follow torchvision Resize(int) / CenterCrop', () => {
    const img = image(40, 20, (x, y) => [x, y, 0]);
    const r = resizeShorterSide(img, 10);
    expect([r.width, r.height]).to.deep.equal([20, 10]);
    const tall = resizeShorterSide(image(15, 50, () => [0, 0, 0]), 10);
    expect([tall.width, tall.height]).to.deep.equal([10, 33]);
    const crop = centerCrop(img, 4, 2);
    // left = round(36 / 2) = 18, top = round(18 / 2) = 9
    expect(channel(crop, 0)).to.deep.equal([18, 19, 20, 21, 18, 19, 20, 21]);
    expect(channel(crop, 1)).to.deep.equal([9, 9, 9, 9, 10, 10, 10, 10]);
    // Halves round to even as Python's round(): (5 - 2) / 2 = 1.5 -> 2
    expect(channel(centerCrop(image(5, 1, (x) => [x, 0, 0]), 2, 1), 0)).to.deep.equal([2, 3]);
    expect(() => centerCrop(img, 41, 2)).to.throw(/cannot crop/);
  });

  it('normalises with ImageNet mean/std in HWC or CHW', () => {
    const img = image(2, 1, (x) => (x === 0 ? [255, 0, 127.5] : [0, 255, 255]));
    const hwc = normalizeImage(img);
    const expected = (v: number, c: number) => (v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    const want = [expected(255, 0), expected(0, 1), expected(127.5, 2), expected(0, 0), expected(255, 1), expected(255, 2)];
    Array.from(hwc).forEach((v, i) => expect(v).to.be.closeTo(want[i], 1e-5));
    const chw = normalizeImage(img, [0, 0, 0], [1, 1, 1], 'chw');
    Array.from(chw).forEach((v, i) => expect(v).to.be.closeTo([1, 0, 0, 1, 0.5, 1][i], 1e-6));
    expect(() => normalizeImage(img, [0, 0], [1, 1, 1])).to.throw(/3 means/);
  });
});
