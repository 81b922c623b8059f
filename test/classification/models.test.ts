import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ClsTrainer } from '../../src/app/classification/train';
import type { StepContext } from '../../src/classification/types';
import { tinyConfig, tinyData, useWasm } from './helpers';

const ctx = (B: number): StepContext => ({ epoch: 0, training: false, rows: Int32Array.from({ length: B }, (_, i) => i), labels: new Int32Array(B), numClasses: 2, sink: new Map() });

describe('classification models: forward shapes and learning on separable toy data', function () {
  this.timeout(60000);
  before(useWasm);

  const cases: { model: string; data: Parameters<typeof tinyData>[0]; predominant?: string; epochs?: number }[] = [
    { model: 'bow', data: {} },
    { model: 'img', data: { pixels: true } },
    { model: 'bert', data: { features: true }, predominant: 'feat' },
    { model: 'late-fusion', data: { attributes: true } },
    { model: 'concat-bow', data: { attributes: true } },
    { model: 'concat-bert', data: { features: true, attributes: true } },
    { model: 'mmbt', data: { attributes: true }, epochs: 4 },
    { model: 'tmc', data: { attributes: true } },
    { model: 'qmf', data: { attributes: true } },
  ];
  for (const c of cases) {
    it(`${c.model}: scores are [B, C] and the training loss decreases`, async () => {
      const data = tinyData(c.data, c.predominant);
      const trainer = new ClsTrainer(tinyConfig({ model: c.model, epochs: c.epochs ?? 3 }), data);
      const hs = trainer.encoders.map((e) => tf.randomNormal([5, e.dim]) as tf.Tensor2D);
      const p = trainer.store.tensors();
      const out = trainer.model.fuse(hs, p, ctx(5));
      expect(out.scores.shape).to.deep.equal([5, 2]);
      tf.dispose([...hs, ...Object.values(p), out.scores, ...Object.values(out.parts)]);
      const fit = await trainer.fit();
      const losses = fit.history.map((h) => h.loss);
      expect(losses[losses.length - 1]).to.be.lessThan(losses[0]);
      expect(trainer.evaluate(data.train).accuracy).to.be.greaterThan(0.8);
    });
  }

  it('uses the modalities a model asks for, predominant first', () => {
    const data = tinyData({ attributes: true });
    expect(new ClsTrainer(tinyConfig({ model: 'bow' }), data).modalities).to.deep.equal(['text']);
    expect(new ClsTrainer(tinyConfig({ model: 'img' }), data).modalities).to.deep.equal(['attributes']);
    expect(new ClsTrainer(tinyConfig({ model: 'qmf' }), data).modalities).to.deep.equal(['text', 'attributes']);
    expect(() => new ClsTrainer(tinyConfig({ model: 'qmf' }), tinyData({}))).to.throw(/at least 2 modalities/);
  });

  it('labels BERT-feature models run on other encoders as substitutes', () => {
    const withFeatures = new ClsTrainer(tinyConfig({ model: 'bert' }), tinyData({ features: true }, 'feat'));
    expect(withFeatures.substitute).to.equal(false);
    const onWords = new ClsTrainer(tinyConfig({ model: 'concat-bert' }), tinyData({ attributes: true }));
    expect(onWords.substitute).to.equal(true);
  });
});
