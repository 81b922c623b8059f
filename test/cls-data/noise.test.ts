import { expect } from 'chai';
import { BLANK_WORD, addFeatureNoise, addImageNoise, addTextNoise, noisyFeatureSamples, noisyTextSamples } from '../../cls-data/noise';
import type { RgbImage } from '../../src/image';
import type { Sample } from '../../cls-data/sample';
import { Rng } from '../../src/rng';

const words20 = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');

function blankStats(eps: number, seed: number, n = 4000): { wordFraction: number; sampleFraction: number } {
  const rng = new Rng(seed);
  let blanked = 0;
  let touched = 0;
  for (let k = 0; k < n; k++) {
    const out = addTextNoise(words20, eps, rng).split(' ');
    const b = out.filter((w) => w === BLANK_WORD).length;
    blanked += b;
    if (b > 0) touched++;
  }
  return { wordFraction: blanked / (20 * n), sampleFraction: touched / n };
}

function grey(w: number, h: number, v: number): RgbImage {
  return { width: w, height: h, data: new Float32Array(w * h * 3).fill(v) };
}

describe('cls-data/noise (QMF protocol)', () => {
  it('text: the blanked-word fraction is 0.5 * 0.1 * eps (eps = 5 -> 0.25, eps = 2 -> 0.1)', () => {
    const s5 = blankStats(5, 11);
    expect(s5.wordFraction).to.be.closeTo(0.25, 0.02);
    expect(blankStats(2, 12).wordFraction).to.be.closeTo(0.1, 0.01);
    // eps = 10 blanks every word of a noised sample: exactly the per-sample coin is visible.
    const s10 = blankStats(10, 13);
    expect(s10.wordFraction).to.be.closeTo(0.5, 0.03);
    expect(s10.sampleFraction).to.equal(s10.wordFraction);
  });

  it('text: eps = 0 is the identity and draws nothing; same seed gives the same result', () => {
    const rng = new Rng(5);
    const state = rng.getState();
    expect(addTextNoise('a b c', 0, rng)).to.equal('a b c');
    expect(rng.getState()).to.deep.equal(state);
    const a = Array.from({ length: 30 }, (_, i) => addTextNoise(words20, 5, new Rng(100 + i)));
    const b = Array.from({ length: 30 }, (_, i) => addTextNoise(words20, 5, new Rng(100 + i)));
    expect(a).to.deep.equal(b);
    expect(() => addTextNoise('a', 11, rng)).to.throw(/eps must be in \[0, 10\]/);
  });

  it('text: splits on single spaces like str.split(" "), so empty pieces can be blanked too', () => {
    // eps = 10 blanks every piece of a noised sample; find a seed whose coin says "noise".
    let out = '';
    for (let seed = 0; out === '' || out === 'a  b'; seed++) out = addTextNoise('a  b', 10, new Rng(seed));
    expect(out).to.equal('_ _ _');
  });

  it('noisyTextSamples updates the modality and the text shortcut, leaves others alone', () => {
    const samples: Sample[] = Array.from({ length: 40 }, (_, i) => ({
      id: String(i),
      label: 0,
      text: 'x y z',
      modalities: { text: { kind: 'text', text: 'x y z' }, attributes: { kind: 'text', text: 'p q' } },
    }));
    const out = noisyTextSamples(samples, 10, new Rng(3));
    const changed = out.filter((s) => s !== samples[Number(s.id)]);
    expect(changed.length).to.be.within(10, 30);
    for (const s of changed) {
      expect(s.text).to.equal('_ _ _');
      expect(s.modalities.text).to.deep.equal({ kind: 'text', text: '_ _ _' });
      expect(s.modalities.attributes).to.deep.equal({ kind: 'text', text: 'p q' });
    }
    expect(samples[0].text).to.equal('x y z');
    const attrs = noisyTextSamples(samples, 10, new Rng(3), 'attributes');
    const attrChanged = attrs.filter((s, i) => s !== samples[i]);
    expect(attrChanged.length).to.be.within(10, 30);
    for (const s of attrChanged) {
      expect(s.modalities.attributes).to.deep.equal({ kind: 'text', text: '_ _' });
      expect(s.text).to.equal('x y z');
    }
  });

  it('image: half the images get Gaussian noise of std 10*eps, the same value on R, G and B', () => {
    const rng = new Rng(21);
    const img = grey(64, 64, 128);
    let noised = 0;
    const trials = 400;
    for (let k = 0; k < trials; k++) if (addImageNoise(img, 1, rng) !== img) noised++;
    expect(noised / trials).to.be.closeTo(0.5, 0.08);

    // eps = 2: std 20, far from the clip bounds of 128; quantisation floors (mean shift -0.5).
    let out = img;
    const r2 = new Rng(22);
    while (out === img) out = addImageNoise(img, 2, r2);
    const d: number[] = [];
    for (let p = 0; p < 64 * 64; p++) {
      const [r, g, b] = out.data.subarray(3 * p, 3 * p + 3);
      expect(r).to.equal(g);
      expect(g).to.equal(b);
      expect(Number.isInteger(r)).to.equal(true);
      d.push(r - 128);
    }
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(mean).to.be.closeTo(-0.5, 0.8);
    expect(std).to.be.closeTo(20, 0.8);
    expect(img.data[0]).to.equal(128); // input untouched
  });

  it('image: values are clipped to [0, 255] (no uint8 wrap-around), quantize can be turned off', () => {
    const rng = new Rng(4);
    for (const v of [0, 255]) {
      let out = grey(16, 16, v);
      const src = out;
      while (out === src) out = addImageNoise(src, 5, rng);
      expect(Math.min(...out.data)).to.be.at.least(0);
      expect(Math.max(...out.data)).to.be.at.most(255);
      expect(out.data.some((x) => x !== v)).to.equal(true);
    }
    const src = grey(8, 8, 100);
    let raw = src;
    while (raw === src) raw = addImageNoise(src, 1, rng, { quantize: false });
    expect(Array.from(raw.data).some((x) => !Number.isInteger(x))).to.equal(true);
    const r0 = new Rng(1);
    const s0 = r0.getState();
    expect(addImageNoise(src, 0, r0)).to.equal(src);
    expect(r0.getState()).to.deep.equal(s0);
    expect(() => addImageNoise(src, -1, r0)).to.throw(/eps must be in/);
  });
});

describe('cls-data/noise addFeatureNoise (project protocol, not QMF)', () => {
  it('adds N(0, (0.1 * eps * rms)^2) to half of the vectors', () => {
    const vec = Float32Array.from({ length: 2000 }, (_, i) => (i % 2 ? 3 : -3)); // rms 3
    const rng = new Rng(8);
    let noised = 0;
    let last: Float32Array = vec;
    for (let k = 0; k < 300; k++) {
      const out = addFeatureNoise(vec, 2, rng);
      if (out !== vec) {
        noised++;
        last = out;
      }
    }
    expect(noised / 300).to.be.closeTo(0.5, 0.1);
    const d = Array.from(last, (x, i) => x - vec[i]);
    const std = Math.sqrt(d.reduce((a, b) => a + b * b, 0) / d.length);
    expect(std).to.be.closeTo(0.1 * 2 * 3, 0.03);
    let abs: Float32Array = vec;
    const r2 = new Rng(9);
    while (abs === vec) abs = addFeatureNoise(vec, 1, r2, { relative: false, stdPerEps: 1, probability: 1 });
    const sd2 = Math.sqrt(Array.from(abs, (x, i) => (x - vec[i]) ** 2).reduce((a, b) => a + b, 0) / vec.length);
    expect(sd2).to.be.closeTo(1, 0.06);
    expect(addFeatureNoise(vec, 0, r2)).to.equal(vec);
  });

  it('noisyFeatureSamples only touches the named feature modality', () => {
    const samples: Sample[] = Array.from({ length: 20 }, (_, i) => ({
      id: String(i),
      label: 0,
      modalities: { image: { kind: 'features', data: Float32Array.from([1, 2, 3]) }, text: { kind: 'text', text: 'a' } },
    }));
    const out = noisyFeatureSamples(samples, 'image', 5, new Rng(2), { probability: 1 });
    for (const [i, s] of out.entries()) {
      expect(s).to.not.equal(samples[i]);
      expect(s.modalities.text).to.equal(samples[i].modalities.text);
      const m = s.modalities.image;
      expect(m.kind === 'features' && Array.from(m.data)).to.not.deep.equal([1, 2, 3]);
    }
    expect(noisyFeatureSamples(samples, 'text', 5, new Rng(2))).to.deep.equal(samples);
  });
});
