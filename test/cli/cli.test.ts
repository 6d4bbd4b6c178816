import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram, splitRosArgs } from '../../src/cli/main';
import { PACKAGE_ROOT } from '../../src/msg';

async function runCli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = buildProgram({ out: (s) => (out += s), err: (s) => (err += s) }, []);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out, err, code: 0 };
  } catch (e) {
    return { out, err, code: (e as { exitCode?: number }).exitCode ?? 1 };
  }
}

describe('grasp-perception CLI', () => {
  it('--help lists the subcommands', async () => {
    const { out } = await runCli(['--help']);
    for (const cmd of ['run', 'nodes', 'demo']) expect(out).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('--version prints the package version', async () => {
    const version = (
      JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect((await runCli(['--version'])).out.trim()).toBe(version);
  });

  it('nodes lists the registered nodes', async () => {
    expect((await runCli(['nodes'])).out).toContain('camera_check_node');
  });

  it('splits --ros-args off the CLI arguments', () => {
    expect(splitRosArgs(['run', 'x', '--ros-args', '-r', 'a:=b'])).toEqual({
      cli: ['run', 'x'],
      ros: ['--ros-args', '-r', 'a:=b'],
    });
  });

  describe('the installed bin (dist/, built by setup)', () => {
    const bin = path.join(PACKAGE_ROOT, 'bin', 'grasp-perception.js');
    beforeAll(() => {
      if (!fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'))) {
        throw new Error('dist/ is missing: run `npm run build` (scripts/setup.sh does)');
      }
    });

    it('prints the version and exits 0', () => {
      expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toMatch(
        /^\d+\.\d+\.\d+$/,
      );
    });

    it.each([
      [
        ['run', 'no_such_node', '--bus', 'inprocess'],
        /^grasp-perception: unknown node 'no_such_node' \(available: .*camera_check_node/,
      ],
      [
        ['run', 'camera_check_node', '--bus', 'rclnodejs'],
        /^grasp-perception: the rclnodejs bus is unavailable: /,
      ],
      [
        ['run', 'camera_check_node', '--bus', 'inprocess', '--ros-args', '-p', 'sync_max_interval:=5'],
        /^grasp-perception: parameter 'sync_max_interval' of node '\/camera_check_node' \(command line \(-p\)\): expected double in \[0, 1\], got 5/,
      ],
      [
        ['run', 'camera_check_node', '--ros-args', '--params-file', '/nonexistent.yaml'],
        /^grasp-perception: params file \/nonexistent\.yaml: cannot read: ENOENT/,
      ],
      [
        ['eval', 'policy', '--model', 'models/attendseg.json', '--runs', '1'],
        /^grasp-perception: attendseg: is a segmentation model, not a policy\n$/,
      ],
      [['demo', '--objects', '0'], /^grasp-perception: --objects must be an integer from 1 to 40, got '0'/],
    ])('fails with one readable line: %j', (args, message) => {
      const env = { ...process.env, AMENT_PREFIX_PATH: '', ROS_DISTRO: '' };
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout: 20000 });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  });
});
