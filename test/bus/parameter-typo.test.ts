// A parameter no node declares is a WARN naming where it came from: a params file or `-p` (issue 12:
// `-p confidence_treshold:=0.4` was silently ignored while the same typo in a file was reported).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InProcessBus, LogConfig, type LogRecord, param } from '../../src/bus';

const SPECS = {
  confidence_threshold: param.double(0.3, 'threshold', { range: { from: 0, to: 1 } }),
};

function warnings(argv: string[], node = 'perception_node'): string[] {
  const records: LogRecord[] = [];
  const bus = new InProcessBus({ argv, logConfig: new LogConfig('info', (r) => records.push(r)) });
  const n = bus.createNode(node);
  const values = n.declareParameters(SPECS);
  expect(values.confidence_threshold).toBe(0.3); // the typo did not set anything
  void bus.shutdown();
  return records.filter((r) => r.level === 'warn').map((r) => r.message);
}

describe('unknown parameters', () => {
  it('-p with a misspelt name is a WARN naming the command line', () => {
    const w = warnings(['--ros-args', '-p', 'confidence_treshold:=0.4']);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/'confidence_treshold' from command line \(-p\) is not a parameter of this node/);
  });

  it('-p aimed at this node by name is reported too; -p aimed at another node is not', () => {
    expect(warnings(['--ros-args', '-p', 'perception_node:confidence_treshold:=0.4'])).toHaveLength(1);
    expect(warnings(['--ros-args', '-p', 'sim_node:seed:=3'])).toHaveLength(0);
  });

  it('the same typo in a params file is the same WARN naming the file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ptypo-')), 'p.yaml');
    fs.writeFileSync(file, '/**:\n  ros__parameters:\n    confidence_treshold: 0.4\n');
    const w = warnings(['--ros-args', '--params-file', file]);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(`'confidence_treshold' from ${file} is not a parameter of this node`);
  });

  it("use_sim_time is every node's parameter: never reported", () => {
    expect(warnings(['--ros-args', '-p', 'use_sim_time:=false'])).toHaveLength(0);
  });
});
