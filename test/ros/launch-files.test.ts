// The launch files through the installed package, as `ros2 launch grasp_perception …` resolves them.
// gazebo.launch.py resolves Gazebo's packages lazily: its arguments list without them, and running it
// without them fails with one line naming what to install.
import { describe, it } from 'node:test';
import { expect } from 'expect';
import { PACKAGE_ROOT, ros2 } from './processes';

describe('ros2 launch grasp_perception <file> --show-args', () => {
  for (const [file, args] of [
    ['demo.launch.py', ['seed', 'objects', 'rate', 'policy_model', 'max_actions']],
    ['grasp_perception.launch.py', ['camera_namespace']],
    ['camera_check.launch.py', ['camera_namespace']],
    ['gazebo.launch.py', ['world', 'camera_namespace', 'grasp_frame_id', 'objects', 'seed']],
  ] as const) {
    it(`${file} lists its arguments`, () => {
      const r = ros2(['launch', 'grasp_perception', file, '--show-args'], 60_000);
      expect(r.status).toBe(0);
      for (const a of args) expect(r.output).toContain(`'${a}':`);
    });
  }

  it('gazebo.launch.py without Gazebo and ros_gz fails with one line naming the packages', () => {
    const have = ros2(['pkg', 'prefix', 'ros_gz_sim']).status === 0;
    if (have) return; // a machine with Gazebo: this case is about one without it
    const r = ros2(['launch', 'grasp_perception', 'gazebo.launch.py'], 60_000);
    const errors = r.output.split('\n').filter((l) => l.includes('[ERROR]'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ros_gz_sim.*ros_gz_bridge.*not found; install them: .*ros-\w+-ros-gz/);
  });
});

describe('grasp-perception bench --bus both', () => {
  it('measures perception_node in this process and as its own process over DDS in one run', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(
      process.execPath,
      [
        `${PACKAGE_ROOT}/bin/grasp-perception.js`,
        'bench',
        '--frames',
        '5',
        '--seconds',
        '3',
        '--rate',
        '5',
        '--bus',
        'both',
      ],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    for (const k of ['sustained', 'sustained_rclnodejs']) {
      expect(out[k].frames_answered).toBeGreaterThan(0);
      expect(Number.isFinite(out[k].lag_ms_p99)).toBe(true);
    }
    expect(out.sustained.bus).toBe('inprocess');
    expect(out.sustained_rclnodejs.bus).toBe('rclnodejs');
  });
});
