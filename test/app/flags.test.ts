import { expect } from 'chai';
import { flag } from '../../src/app/flags';

describe('script flags (src/app/flags)', () => {
  const saved = process.argv;
  afterEach(() => {
    process.argv = saved;
  });
  const withArgs = (...a: string[]): void => {
    process.argv = ['node', 'script', ...a];
  };

  it('reads --name value, or the fallback when the flag is absent', () => {
    withArgs('--seeds', '1,2', '--tag', 'e9');
    expect(flag('seeds', '1,2,3')).to.equal('1,2');
    expect(flag('tag')).to.equal('e9');
    expect(flag('rows', 'all')).to.equal('all');
  });

  it('refuses a flag without its value and a missing required flag, naming the flag', () => {
    withArgs('--seeds', '--tag', 'x', '--rows');
    expect(() => flag('seeds', '1')).to.throw('--seeds needs a value');
    expect(() => flag('rows', 'all')).to.throw('--rows needs a value');
    expect(() => flag('dataset')).to.throw('--dataset is required');
  });
});
