// launch/gazebo.launch.py under a real `ros2 launch` (where a ROS 2 is installed under /opt/ros):
// --show-args without Gazebo, one clear line when ros_gz is missing, and the processes it would start
// with Gazebo, captured through stand-in packages (ros_gz_sim, ros_gz_bridge, tf2_ros, grasp_perception)
// whose executables record their command line and parameter files instead of running.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LAUNCH, launchCameraFrames, MODELS_DIR, WORLD } from './gazebo-files';

jest.setTimeout(120_000);

const ROS_SETUP = fs.existsSync('/opt/ros')
  ? fs
      .readdirSync('/opt/ros')
      .map((d) => path.join('/opt/ros', d, 'setup.bash'))
      .find((f) => fs.existsSync(f))
  : undefined;

const STAND_INS: Record<string, string[]> = {
  ros_gz_bridge: ['parameter_bridge'],
  ros_gz_sim: ['create'],
  tf2_ros: ['static_transform_publisher'],
  grasp_perception: ['perception_node', 'segmentation_node'],
};

/** Records argv and the contents of every --params-file into $GP_RECORD/<name>.<pid>. */
const RECORDER = `#!/bin/bash
out="$GP_RECORD/$(basename "$0").$$"
printf 'ARGV' > "$out"; printf ' %s' "$@" >> "$out"; echo >> "$out"
while [ $# -gt 0 ]; do
  if [ "$1" = --params-file ]; then echo "PARAMS $2" >> "$out"; cat "$2" >> "$out"; shift; fi
  shift
done
`;

function standInPrefix(dir: string): void {
  const index = path.join(dir, 'share/ament_index/resource_index/packages');
  fs.mkdirSync(index, { recursive: true });
  for (const [pkg, exes] of Object.entries(STAND_INS)) {
    fs.writeFileSync(path.join(index, pkg), '');
    fs.mkdirSync(path.join(dir, 'lib', pkg), { recursive: true });
    for (const exe of exes) fs.writeFileSync(path.join(dir, 'lib', pkg, exe), RECORDER, { mode: 0o755 });
  }
  // ros_gz_sim's gz_sim.launch.py: records the gz_args it is given.
  fs.mkdirSync(path.join(dir, 'share/ros_gz_sim/launch'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib/ros_gz_sim/gz'), RECORDER, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, 'share/ros_gz_sim/launch/gz_sim.launch.py'),
    [
      'from launch import LaunchDescription',
      'from launch.actions import DeclareLaunchArgument, ExecuteProcess',
      'from launch.substitutions import LaunchConfiguration',
      'def generate_launch_description():',
      `    return LaunchDescription([DeclareLaunchArgument('gz_args'), DeclareLaunchArgument('on_exit_shutdown'),`,
      `        ExecuteProcess(cmd=['${path.join(dir, 'lib/ros_gz_sim/gz')}', LaunchConfiguration('gz_args')])])`,
      '',
    ].join('\n'),
  );
}

function rosLaunch(args: string[], env: Record<string, string> = {}, prefix = '') {
  const domain = 100 + (process.pid % 100);
  const extend = prefix ? `export AMENT_PREFIX_PATH=${prefix}:$AMENT_PREFIX_PATH && ` : '';
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-roslog-'));
  try {
    return spawnSync(
      'bash',
      ['-c', `source ${ROS_SETUP} && ${extend}exec ros2 launch ${LAUNCH} ${args.join(' ')}`],
      {
        encoding: 'utf8',
        timeout: 90_000,
        env: {
          ...process.env,
          ROS_DOMAIN_ID: String(domain),
          ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST',
          ROS_LOG_DIR: logDir,
          ...env,
        },
      },
    );
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

(ROS_SETUP ? describe : describe.skip)(
  `gazebo.launch.py under ros2 launch (${ROS_SETUP ?? 'skipped: no /opt/ros/<distro>/setup.bash here'})`,
  () => {
    it('--show-args lists the arguments without Gazebo installed', () => {
      const r = rosLaunch(['--show-args']);
      expect(r.status).toBe(0);
      for (const name of [
        'world',
        'camera_namespace',
        'grasp_frame_id',
        'objects',
        'seed',
        'gz_args',
        'segmentation',
      ])
        expect(r.stdout).toContain(`'${name}':`);
      expect(r.stdout).toContain(`(default: '${WORLD}')`);
    });

    // Where ros_gz is installed (an integrator's machine) there is nothing missing to report.
    const gazeboInstalled =
      spawnSync('bash', ['-c', `source ${ROS_SETUP} && ros2 pkg prefix ros_gz_sim`], { env: process.env })
        .status === 0;
    (gazeboInstalled ? it.skip : it)(
      'without ros_gz it stops with one line naming the missing packages',
      () => {
        const r = rosLaunch([]);
        expect(r.status).not.toBe(0);
        const errors = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('[ERROR]'));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(
          /package\(s\) .*ros_gz_sim.*ros_gz_bridge.*not found; install them: sudo apt install ros-/,
        );
      },
    );

    it('with ros_gz present it starts gz sim, the bridge, the static TF, the spawners and our nodes', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-gz-launch-'));
      const prefix = path.join(dir, 'prefix');
      const record = path.join(dir, 'record');
      fs.mkdirSync(record);
      standInPrefix(prefix);
      const r = rosLaunch(
        ['objects:=3', 'seed:=5', "gz_args:='-s --headless-rendering'"],
        { GP_RECORD: record },
        prefix,
      );
      const runs = fs.readdirSync(record).map((f) => ({
        exe: f.split('.')[0],
        text: fs.readFileSync(path.join(record, f), 'utf8'),
      }));
      fs.rmSync(dir, { recursive: true, force: true });
      expect({ status: r.status, errors: (r.stdout + r.stderr).match(/\[ERROR\].*/g) }).toEqual({
        status: 0,
        errors: null,
      });
      const of = (exe: string) => runs.filter((x) => x.exe === exe).map((x) => x.text);
      const frames = launchCameraFrames();

      // gz sim runs the world straight away, with the extra arguments.
      expect(of('gz')).toEqual([`ARGV -r -s --headless-rendering ${WORLD}\n`]);

      // The bridge: the sensor's three topics and /clock, gz -> ROS, onto the names our nodes read.
      const [bridge] = of('parameter_bridge');
      const gz = `/${frames.gz_topic}`;
      for (const spec of [
        `${gz}/image@sensor_msgs/msg/Image[gz.msgs.Image`,
        `${gz}/depth_image@sensor_msgs/msg/Image[gz.msgs.Image`,
        `${gz}/camera_info@sensor_msgs/msg/CameraInfo[gz.msgs.CameraInfo`,
        '/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock',
      ])
        expect(bridge).toContain(` ${spec} `);
      expect(bridge).toContain(`-r ${gz}/image:=/camera/color/image_raw`);
      expect(bridge).toContain(`-r ${gz}/depth_image:=/camera/aligned_depth/image_raw`);
      expect(bridge).toContain(`-r ${gz}/camera_info:=/camera/color/camera_info`);

      // Static TF: world -> camera link -> optical frame, the numbers read from the world file.
      const tfs = of('static_transform_publisher');
      expect(tfs).toHaveLength(2);
      for (const t of frames.transforms) {
        const run = tfs.find((x) => x.includes(`--child-frame-id ${t.child_frame_id}`));
        expect(run).toContain(`--frame-id ${t.frame_id} `);
        const value = (flag: string) => Number(new RegExp(` ${flag} (\\S+)`).exec(run!)![1]);
        ['--x', '--y', '--z'].forEach((f, i) => expect(value(f)).toBeCloseTo(t.translation[i], 8));
        ['--qx', '--qy', '--qz', '--qw'].forEach((f, i) =>
          expect(value(f)).toBeCloseTo(t.rotation_xyzw[i], 8),
        );
      }

      // Three objects of the sim's families, each from a model file that exists, into this world.
      const spawns = of('create');
      expect(spawns).toHaveLength(3);
      for (const s of spawns) {
        expect(s).toContain(` -world ${frames.world_name} `);
        const file = / -file (\S+)/.exec(s)![1];
        expect(path.dirname(path.dirname(file))).toBe(MODELS_DIR);
        expect(fs.existsSync(file)).toBe(true);
        // Dropped over the bin's inner square, above the floor.
        const at = (flag: string) => Number(new RegExp(` -${flag}=(\\S+)`).exec(s)![1]);
        expect(Math.abs(at('x'))).toBeLessThan(0.2);
        expect(Math.abs(at('y'))).toBeLessThan(0.2);
        expect(at('z')).toBeGreaterThan(0.1);
      }
      expect(new Set(spawns.map((s) => / -name (\S+)/.exec(s)![1])).size).toBe(3);

      // Our nodes in the camera namespace, on simulated time, grasps in the world frame.
      const [perception] = of('perception_node');
      expect(perception).toContain('-r __ns:=/camera');
      expect(perception).toMatch(/--params-file \S+\/config\/perception\.yaml/);
      expect(perception).toMatch(/use_sim_time: true/);
      expect(perception).toMatch(/grasp_frame_id: world/);
      const [segmentation] = of('segmentation_node');
      expect(segmentation).toContain('-r __ns:=/camera');
      expect(segmentation).toMatch(/use_sim_time: true/);
    });
  },
);
