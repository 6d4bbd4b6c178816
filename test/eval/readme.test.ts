// README.md's results tables are generated from models/RESULTS.md (`grasp-perception results --readme`):
// the committed README must be exactly what that command writes, so a hand-typed or stale figure fails.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readmeBlocks, readmeWithResults, updateReadme } from '../../src/eval/readme';
import { PACKAGE_ROOT } from '../../src/msg';

const README = path.join(PACKAGE_ROOT, 'README.md');
const RESULTS = path.join(PACKAGE_ROOT, 'models', 'RESULTS.md');
const files = { readme: README, results: RESULTS };

test("the committed README's results blocks are RESULTS.md's tables, with the run and machine that measured them", () => {
  const readme = fs.readFileSync(README, 'utf8');
  const results = fs.readFileSync(RESULTS, 'utf8');
  expect(readmeWithResults(readme, results, files)).toBe(readme);
  const blocks = readmeBlocks(results, RESULTS);
  // Each block names its command and machine, and carries every row of its tables.
  expect(blocks.models).toMatch(
    /^Measured by one `grasp-perception results .*` run on \d{4}-\d\d-\d\d, on .+, \d+ cores:/,
  );
  expect(blocks.policy).toMatch(/`grasp-perception eval policy --case all`/);
  // The real-frame figures: every grasp source on the dev frames, with the command that measured them.
  expect(blocks.real).toMatch(/^\*\*Real frames: .*\*\*\n\nMeasured by `grasp-perception eval real /);
  for (const source of ['network', 'geometric', 'hybrid'])
    expect(blocks.real).toMatch(new RegExp(`\\n\\| ${source} \\|`));
  expect(blocks.policy).toMatch(/intra-op thread\(s\), .+, \d+ cores\./);
  for (const name of ['fast_graspnext', 'resnet_graspnext_int8', 'lraspp', 'attendseg_int8']) {
    const row = results.split('\n').find((l) => l.startsWith(`| ${name} | `))!;
    expect(blocks.models.split('\n')).toContain(row);
  }
  const qat = results.split('\n').find((l) => l.startsWith('| policy_reduced_qat | '))!;
  expect(blocks.policy.split('\n')).toContain(qat);
});

test('updateReadme replaces the blocks in place, idempotently; missing markers and sections are named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-readme-'));
  try {
    const readme = path.join(dir, 'README.md');
    const results = path.join(dir, 'RESULTS.md');
    const original = fs.readFileSync(RESULTS, 'utf8');
    // A new run: one changed figure in RESULTS.md must reach the README.
    fs.writeFileSync(results, original.replace('| fast_graspnext | 640x480 |', '| fast_graspnext | 9.99 |'));
    const markers = fs
      .readFileSync(README, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('<!-- results: '));
    expect(markers).toHaveLength(6);
    fs.writeFileSync(
      readme,
      `# R\n\nintro\n\n${markers[0]}\nstale\n${markers[1]}\n\n${markers[2]}\n${markers[3]}\n\nmiddle\n\n${markers[4]}\n${markers[5]}\nend\n`,
    );
    expect(updateReadme(readme, results)).toEqual(['models', 'real', 'policy']);
    const once = fs.readFileSync(readme, 'utf8');
    expect(once).toMatch(/^# R\n\nintro\n\n<!-- results: models begin/);
    expect(once).toContain('| fast_graspnext | 9.99 |');
    expect(once).not.toContain('stale');
    expect(once).toMatch(
      /\n\nmiddle\n\n<!-- results: policy begin .*\n[^]*\| policy_reduced_qat \|[^]*<!-- results: policy end -->\nend\n$/,
    );
    updateReadme(readme, results);
    expect(fs.readFileSync(readme, 'utf8')).toBe(once);
    fs.writeFileSync(readme, '# R\n');
    expect(() => updateReadme(readme, results)).toThrow(
      /README\.md: no '<!-- results: models begin .*' block/,
    );
    fs.writeFileSync(results, '# Results\n\ntext\n');
    expect(() => updateReadme(readme, results)).toThrow(
      /RESULTS\.md: no '## Table 1: multi-task grasp perception' section/,
    );
    expect(() => updateReadme(path.join(dir, 'none.md'), results)).toThrow(
      /none\.md: cannot read \(ENOENT\)/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
