// Runs the training code (Debian's python3-torch under /usr/bin/python3, installed by scripts/setup.sh).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../../src/msg';

export const PYTHON = '/usr/bin/python3';
export const TRAINING_DIR = path.join(PACKAGE_ROOT, 'training');

/** Runs a training/ script or module; throws with its stderr tail when it fails. */
export function runPythonWithStderr(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 600_000,
): { stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, {
    cwd: TRAINING_DIR,
    env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    throw new Error(
      `${PYTHON} ${args.join(' ')} exited ${String(r.status)}:\n${(r.stderr ?? '').slice(-4000)}`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs a training/ script or module and returns its stdout; throws with its stderr tail when it fails. */
export function runPython(args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): string {
  return runPythonWithStderr(args, env, timeoutMs).stdout;
}
