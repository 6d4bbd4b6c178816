// Child processes for the ROS 2 tier: nodes, `ros2 launch`, `ros2` CLI calls. Each runs in a process
// group of its own so that stopping it stops everything it started (ros2 launch's children too); every
// wait is bounded.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
/** The tier's colcon workspace (scripts/setup-ros.sh builds it). */
export const WORKSPACE_SHARE = path.join(
  PACKAGE_ROOT,
  'build',
  'ros2',
  'install',
  'grasp_perception',
  'share',
  'grasp_perception',
);

export interface RosProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  exited(): boolean;
  /** Resolves when the output matches, rejects on timeout or exit (with the output's tail). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGINT, then SIGKILL after graceMs, to the whole process group. */
  stop(graceMs?: number): Promise<number | null>;
}

export function startProcess(name: string, command: string, args: readonly string[]): RosProcess {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let out = '';
  let exitCode: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  const exitedPromise = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? null : code);
      notify();
      resolve(exitCode);
    }),
  );
  const tail = () => out.split('\n').slice(-25).join('\n');
  return {
    name,
    child,
    output: () => out,
    exited: () => exitCode !== undefined,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) done(() => resolve(m));
          else if (exitCode !== undefined)
            done(() => reject(new Error(`${name} exited (${exitCode}) before ${pattern}:\n${tail()}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${tail()}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      }),
    stop: async (graceMs = 5000) => {
      if (exitCode !== undefined || child.pid === undefined) return exitCode ?? null;
      const group = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* already gone */
        }
      };
      group('SIGINT');
      const killer = setTimeout(() => group('SIGKILL'), graceMs);
      const code = await exitedPromise;
      clearTimeout(killer);
      group('SIGKILL'); // whatever the group leader left behind
      return code;
    },
  };
}

/** `ros2 <args>`, bounded; never throws: the caller asserts on status and output. */
export function ros2(args: readonly string[], timeoutMs = 30_000): { status: number | null; output: string } {
  const r = spawnSync('ros2', args, { encoding: 'utf8', timeout: timeoutMs, env: process.env });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Polls `f` until it returns a value that is not undefined, or rejects after timeoutMs. */
export async function poll<T>(
  what: string,
  f: () => T | undefined,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `ros2 node list` until it shows every one of `nodes`. */
export async function waitForNodes(nodes: readonly string[], timeoutMs: number): Promise<string[]> {
  let last = '';
  try {
    return await poll(
      `ros2 node list showing ${nodes.join(', ')}`,
      () => {
        last = ros2(['node', 'list', '--no-daemon'], 20_000).output;
        const listed = last.split('\n').map((l) => l.trim());
        return nodes.every((n) => listed.includes(n)) ? listed : undefined;
      },
      timeoutMs,
      1000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last listing:\n${last}`, { cause: err });
  }
}
