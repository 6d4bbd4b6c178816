import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * @u4/opencv-build logs its build configuration on every load. The check needs a fresh process:
 * the log goes straight to stdout (not through console), and a module loads once per process.
 */
describe('loading OpenCV', () => {
  it('prints nothing', () => {
    const root = path.resolve(__dirname, '../..');
    // Transpile our TypeScript on the fly with the TypeScript compiler, then load OpenCV through cv().
    const script = `
      const ts = require('typescript');
      const fs = require('node:fs');
      require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), {
        fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText, file);
      const c = require('./src/image/opencv.ts').cv();
      if (typeof c.imdecode !== 'function') throw new Error('OpenCV did not load');
    `;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 20000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
