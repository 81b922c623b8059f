import { expect } from 'chai';
import {
  component, composeSchemas, defaultsOf, fromNames, lookup, renamed, resolveOptions, withDefaults, type Schema,
} from '../../src/options';
import { IMML_OPTIONS } from '../../imml/options';
import { runOptions } from '../../src/app/run_config';
import { classifyOptions, DEFAULT_CLS_CONFIG } from '../../src/app/classification/config';

const A: Schema<{ dim: number; mode: 'x' | 'y' }> = {
  dim: { type: 'int', default: 8, min: 1, help: 'width' },
  mode: { type: 'enum', default: 'x', values: ['x', 'y'], help: 'mode' },
};

describe('src/options composition', () => {
  it('composes schemas; a shared key must be the same declaration', () => {
    const B: Schema<{ dim: number; rate: number }> = { dim: A.dim, rate: { type: 'number', default: 0.1, above: 0, help: 'rate' } };
    const both = composeSchemas<{ dim: number; mode: 'x' | 'y'; rate: number }>([{ name: 'a', schema: A }, { name: 'b', schema: B }]);
    expect(defaultsOf(both)).to.deep.equal({ dim: 8, mode: 'x', rate: 0.1 });
    const clash: Schema<{ dim: number }> = { dim: { type: 'int', default: 16, min: 1, help: 'width' } };
    expect(() => composeSchemas([{ name: 'a', schema: A }, { name: 'c', schema: clash }])).to.throw("option 'dim' is declared by both a and c");
  });

  it('withDefaults replaces defaults, checked against the spec, and leaves the original alone', () => {
    const wide = withDefaults(A, { dim: 32 }, 'task');
    expect([wide.dim.default, A.dim.default]).to.deep.equal([32, 8]);
    expect(() => withDefaults(A, { dim: 0 }, 'task')).to.throw("task: default of 'dim': expected an integer >= 1, got 0");
    expect(() => withDefaults(A, { nope: 1 } as never, 'task')).to.throw("task: default for unknown option 'nope'");
  });

  it('renamed and fromNames are inverse; help says whose option it is', () => {
    const names = { dim: 'fooDim', mode: 'fooMode' } as const;
    const flat = renamed(A, names, 'Foo');
    expect(Object.keys(flat)).to.deep.equal(['fooDim', 'fooMode']);
    expect(flat.fooDim.help).to.equal('Foo: width');
    expect(fromNames(names, { fooDim: 3, fooMode: 'y' })).to.deep.equal({ dim: 3, mode: 'y' });
  });

  it('resolveOptions fills defaults and checks what is given; lookup names the closest entry', () => {
    expect(resolveOptions(A, { mode: 'y' }, 'm')).to.deep.equal({ dim: 8, mode: 'y' });
    expect(() => resolveOptions(A, { mode: 'z' as 'x' }, 'm')).to.throw("m: 'mode': expected one of x, y, got 'z'");
    const reg = { alpha: component(A, (o) => o.dim) };
    expect(lookup(reg, 'alpha', 'thing').create({ dim: 2, mode: 'x' }, undefined)).to.equal(2);
    expect(() => lookup(reg, 'alpah', 'thing', '--thing')).to.throw("--thing: unknown thing 'alpah' (did you mean 'alpha'?); known: alpha");
  });

  it('IMML has one definition; the tasks differ only in the defaults they override', () => {
    const lp = runOptions();
    const cls = classifyOptions();
    const lpOnly = { betaFraction: 0.3, mdkeRows: 256 };
    const clsOnly = { gamma1: 1e-2, gamma2: 10 };
    const lpNames: Record<string, string> = { gamma1: 'immlGamma1', gamma2: 'immlGamma2', alpha: 'immlAlpha', beta: 'immlBeta', partners: 'immlPartners', temperature: 'immlTemperature', projectionDim: 'immlProjectionDim', useMdke: 'immlMdke', useBeta: 'immlBetaLoss', betaFraction: 'immlBetaFraction', mdkeRows: 'immlMdkeRows' };
    const clsNames: Record<string, string> = { ...lpNames, gamma1: 'gamma1', gamma2: 'gamma2', useMdke: 'mdke', useBeta: 'betaLoss' };
    for (const [key, spec] of Object.entries(IMML_OPTIONS)) {
      const inLp = (lp as unknown as Record<string, { default: unknown; type: string }>)[lpNames[key]];
      const inCls = (cls as unknown as Record<string, { default: unknown; type: string }>)[clsNames[key]];
      expect([inLp.type, inCls.type], key).to.deep.equal([spec.type, spec.type]);
      expect(inLp.default, `link prediction ${key}`).to.equal(key in lpOnly ? lpOnly[key as keyof typeof lpOnly] : spec.default);
      expect(inCls.default, `classification ${key}`).to.equal(key in clsOnly ? clsOnly[key as keyof typeof clsOnly] : spec.default);
    }
    expect(DEFAULT_CLS_CONFIG.imml).to.deep.equal({ ...defaultsOf(IMML_OPTIONS), ...clsOnly });
  });
});
