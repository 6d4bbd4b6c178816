// Some tests run the compiled CLI (bin/grasp-perception.js → dist/), so a stale dist/ would test old
// code. `npm run jest` compiles first; this checks that it did: every source file's compiled output
// exists and is not older than the source.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

test('dist/ is compiled from the sources as they are in the tree', () => {
  const stale = sources(path.join(ROOT, 'src')).filter((src) => {
    const out = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), src)).replace(/\.ts$/, '.js');
    return !fs.existsSync(out) || fs.statSync(out).mtimeMs + 1 < fs.statSync(src).mtimeMs;
  });
  expect(stale.map((f) => path.relative(ROOT, f))).toEqual([]);
});
