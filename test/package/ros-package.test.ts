import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../../src/msg';
import { nodeNames } from '../../src/nodes';

const read = (f: string) => fs.readFileSync(path.join(PACKAGE_ROOT, f), 'utf8');

describe('ROS 2 package', () => {
  it("package.xml passes catkin_pkg's validation (format 3, ament_cmake)", () => {
    const script = [
      'from catkin_pkg.package import parse_package',
      `p = parse_package(${JSON.stringify(path.join(PACKAGE_ROOT, 'package.xml'))})`,
      'p.validate()',
      'print(p.package_format, p.name, p.version, p.get_build_type())',
      'print(" ".join(sorted({d.name for d in p.build_depends + p.exec_depends + p.buildtool_depends})))',
    ].join('\n');
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    const version = (JSON.parse(read('package.json')) as { version: string }).version;
    expect(out[0]).toBe(`3 grasp_perception ${version} ament_cmake`);
    for (const dep of [
      'std_msgs',
      'sensor_msgs',
      'geometry_msgs',
      'visualization_msgs',
      'diagnostic_msgs',
      'rosidl_default_generators',
      'rosidl_default_runtime',
    ]) {
      expect(out[1].split(' ')).toContain(dep);
    }
  });

  it('CMakeLists.txt generates exactly the interfaces in msg/ and srv/', () => {
    const cmake = read('CMakeLists.txt');
    const listed = [...cmake.matchAll(/"((?:msg|srv)\/\w+\.(?:msg|srv))"/g)].map((m) => m[1]).sort();
    const files = [
      ...fs.readdirSync(path.join(PACKAGE_ROOT, 'msg')).map((f) => `msg/${f}`),
      ...fs.readdirSync(path.join(PACKAGE_ROOT, 'srv')).map((f) => `srv/${f}`),
    ].sort();
    expect(listed).toEqual(files);
  });

  it('CMakeLists.txt installs one launcher per registered node', () => {
    const m = /set\(GRASP_PERCEPTION_NODES ([^)]*)\)/.exec(read('CMakeLists.txt'));
    expect(m).not.toBeNull();
    expect((m as RegExpExecArray)[1].trim().split(/\s+/).sort()).toEqual(nodeNames());
  });

  it('every launch file starts only registered nodes and every node has a params file', () => {
    for (const f of fs.readdirSync(path.join(PACKAGE_ROOT, 'launch'))) {
      for (const m of read(`launch/${f}`).matchAll(/executable='(\w+)'/g))
        expect(nodeNames()).toContain(m[1]);
    }
    for (const name of nodeNames()) {
      expect(fs.existsSync(path.join(PACKAGE_ROOT, 'config', `${name.replace(/_node$/, '')}.yaml`))).toBe(
        true,
      );
    }
  });
});
