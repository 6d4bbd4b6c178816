// README.md's results tables are generated, never typed: `grasp-perception results --readme README.md`
// copies them from models/RESULTS.md (with the paragraphs that name the command, run and machine) into
// blocks between markers, so the README cannot drift from the measured numbers.
import * as fs from 'node:fs';

/** The generated blocks of the README, each filled from RESULTS.md. */
export const README_BLOCKS = ['models', 'real', 'policy'] as const;
export type ReadmeBlock = (typeof README_BLOCKS)[number];

const begin = (b: ReadmeBlock) =>
  `<!-- results: ${b} begin (generated from models/RESULTS.md by grasp-perception results --readme; do not edit) -->`;
const end = (b: ReadmeBlock) => `<!-- results: ${b} end -->`;

/** The lines of RESULTS.md from `heading` to the next heading or marker, without the heading. */
function section(results: string, heading: string, file: string): string[] {
  const lines = results.split('\n');
  const i = lines.findIndex((l) => l === heading);
  if (i < 0)
    throw new Error(`${file}: no '${heading}' section (regenerate it with grasp-perception results)`);
  const rest = lines.slice(i + 1);
  const j = rest.findIndex((l) => l.startsWith('#') || l.startsWith('<!--'));
  return rest.slice(0, j < 0 ? rest.length : j);
}

/** The first markdown table of some lines. */
function firstTable(lines: string[], what: string, file: string): string[] {
  const i = lines.findIndex((l) => l.startsWith('|'));
  if (i < 0) throw new Error(`${file}: the ${what} section has no table`);
  const j = lines.slice(i).findIndex((l) => !l.startsWith('|'));
  return lines.slice(i, j < 0 ? lines.length : i + j);
}

/** Paragraph lines without the blank lines around them. */
function trimmed(lines: string[]): string[] {
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return [];
  let last = lines.length - 1;
  while (lines[last].trim() === '') last--;
  return lines.slice(first, last + 1);
}

/** Each block's text from RESULTS.md's content (`file` names it in errors). */
export function readmeBlocks(results: string, file: string): Record<ReadmeBlock, string> {
  const header = trimmed(section(results, '# Results', file));
  const blank = header.findIndex((l) => l.trim() === '');
  const provenance = blank < 0 ? header : header.slice(0, blank); // its first paragraph: run and machine
  // Table 1 and, when the run pooled other datasets (`results --pooled`), the pooled table after it.
  const table1Section = section(results, '## Table 1: multi-task grasp perception', file);
  const table1 = firstTable(table1Section, 'Table 1', file);
  const table1All = trimmed(table1Section.slice(table1Section.indexOf(table1[0])));
  const seg = firstTable(section(results, '## AttendSeg-style segmentation', file), 'segmentation', file);
  const policyHeading = results.split('\n').find((l) => l.startsWith('## Push-and-grasp policies'));
  if (!policyHeading)
    throw new Error(`${file}: no policy section (write it with grasp-perception results --policy)`);
  const policy = section(results, policyHeading, file);
  // The real-frames section (`eval real --write-results`), with its heading's title.
  const realHeading = results.split('\n').find((l) => l.startsWith('## Real frames'));
  const real = realHeading
    ? [`**${realHeading.slice(3)}**`, '', ...trimmed(section(results, realHeading, file))]
    : [
        'Not measured yet: `grasp-perception eval real --data DIR --write-results models/RESULTS.md` writes it.',
      ];
  return {
    models: [...provenance, '', ...table1All, '', ...seg].join('\n'),
    real: real.join('\n'),
    policy: trimmed(policy).join('\n'),
  };
}

/** The README with every generated block replaced by RESULTS.md's current content. */
export function readmeWithResults(
  readme: string,
  results: string,
  files: { readme: string; results: string },
): string {
  const blocks = readmeBlocks(results, files.results);
  let text = readme;
  for (const b of README_BLOCKS) {
    const i = text.indexOf(begin(b));
    const j = text.indexOf(end(b));
    if (i < 0 || j < i) throw new Error(`${files.readme}: no '${begin(b)}' ... '${end(b)}' block`);
    text = `${text.slice(0, i)}${begin(b)}\n${blocks[b]}\n${text.slice(j)}`;
  }
  return text;
}

/** Rewrites the README's generated blocks from RESULTS.md; returns the blocks it wrote. */
export function updateReadme(readmeFile: string, resultsFile: string): ReadmeBlock[] {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (err) {
      throw new Error(`${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        cause: err,
      });
    }
  };
  const readme = read(readmeFile);
  const next = readmeWithResults(readme, read(resultsFile), { readme: readmeFile, results: resultsFile });
  if (next !== readme) fs.writeFileSync(readmeFile, next);
  return [...README_BLOCKS];
}
