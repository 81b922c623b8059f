import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

describe('repository contents', () => {
  it('holds no dataset copy and no data file over 512 KiB (datasets come from the data home)', function () {
    const r = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) {
      console.log('      SKIPPED (not a git checkout, so the tracked files cannot be listed)');
      this.skip();
    }
    const files = r.stdout.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
    expect(files.length).to.be.greaterThan(100);
    const big = files.filter((f) => fs.statSync(path.join(ROOT, f)).size > 512 * 1024);
    expect(big, 'files over 512 KiB').to.deep.equal([]);
    const data = files.filter((f) => /^(kg-data|cls-data)\//.test(f) && !/\.(ts|md)$/.test(f));
    expect(data, 'data files in the dataset folders').to.deep.equal([]);
    const copies = files.filter((f) => /(^|\/)(train|valid|test)(\.txt|\.jsonl?|)(\.gz)?$/.test(f) && !f.startsWith('test/fixtures/'));
    expect(copies, 'split files outside the test fixtures').to.deep.equal([]);
  });

  it('publishes the built main, types and bin, and neither dist/test nor dist/bench (npm pack --dry-run)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string; bin: Record<string, string> };
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
    for (const entry of [pkg.main, pkg.types, ...Object.values(pkg.bin)]) expect(files.has(entry), `${entry} in the package`).to.equal(true);
    expect([...files].filter((f) => /^dist\/(test|bench)\//.test(f)), 'test and bench files in the package').to.deep.equal([]);
  });
});
