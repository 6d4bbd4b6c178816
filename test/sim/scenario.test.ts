import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BinPickingSim,
  createCamera,
  listScenarios,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  scenarioScene,
} from '../../src/sim';

const dir = join(__dirname, '..', '..', 'scenarios');
const scenarios = listScenarios(dir).map((file) => loadScenario(file));

function errorOf(data: unknown): ScenarioError {
  try {
    parseScenario(data, 'scenarios/bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const valid = { name: 'x', objects: [{ shape: 'box', size: [0.05, 0.05, 0.05], position: [0, 0, 0.025] }] };

describe('scenario files', () => {
  it('ships random clutter and at least 8 adversarial arrangements: packed, stacked, against a wall', () => {
    const names = scenarios.map((s) => s.name);
    expect(scenarios.filter((s) => s.random)).not.toHaveLength(0);
    const adversarial = scenarios.filter((s) => !s.random);
    expect(adversarial.length).toBeGreaterThanOrEqual(8);
    for (const kind of ['packed', 'stacked', 'wall'])
      expect(names.some((n) => n.startsWith(kind))).toBe(true);
    // Each file is named after its scenario.
    scenarios.forEach((s) => expect(s.source.endsWith(`${s.name}.yaml`)).toBe(true));
  });

  it.each(scenarios.filter((s) => !s.random).map((s) => [s.name, s] as [string, Scenario]))(
    '%s settles in place: nothing falls out or moves more than 1 cm',
    async (_name, scenario) => {
      const sim = await BinPickingSim.fromScenario(scenario, {
        camera: createCamera({ width: 64, height: 48 }),
      });
      const placed = scenarioScene(scenario).objects;
      expect(sim.objectsRemaining).toBe(placed.length);
      sim.scene.objects.forEach((o, i) => {
        const p = placed[i].pose.position;
        const q = o.pose.position;
        expect(Math.hypot(p.x - q.x, p.y - q.y, p.z - q.z)).toBeLessThan(0.01);
      });
      sim.dispose();
    },
  );

  it('random scenarios use the file seed unless one is given', () => {
    const random = scenarios.find((s) => s.random)!;
    expect(scenarioScene(random).objects).toHaveLength(random.random!.count);
    expect(JSON.stringify(scenarioScene(random, 5))).not.toBe(JSON.stringify(scenarioScene(random)));
  });

  it('errors name the file and the field', () => {
    expect(errorOf({ objects: [] }).message).toBe(
      'scenarios/bad.yaml: name: Invalid input: expected string, received undefined',
    );
    expect(errorOf({ ...valid, objects: [{ shape: 'cone', position: [0, 0, 0] }] }).message).toMatch(
      /^scenarios\/bad\.yaml: objects\[0\]\.shape: expected one of box, cylinder/,
    );
    const tooBig = errorOf({
      ...valid,
      objects: [...valid.objects, { shape: 'sphere', radius: 2, position: [0, 0, 0] }],
    });
    expect(tooBig.field).toBe('objects[1].radius');
    expect(tooBig.file).toBe('scenarios/bad.yaml');
    expect(errorOf({ ...valid, objects: [{ ...valid.objects[0], positon: [0, 0, 0] }] }).field).toBe(
      'objects[0].positon',
    );
    expect(errorOf({ ...valid, objects: [{ ...valid.objects[0], size: [0.05, 0.05] }] }).field).toMatch(
      /^objects\[0\]\.size/,
    );
    expect(errorOf({ ...valid, objects: [{ ...valid.objects[0], position: [0.3, 0, 0] }] }).message).toMatch(
      /objects\[0\]\.position: must lie inside the bin/,
    );
    expect(errorOf({ ...valid, random: { count: 3 } }).field).toBe('objects');
    expect(errorOf({ ...valid, objects: [{ ...valid.objects[0], color: 'red' }] }).field).toBe(
      'objects[0].color',
    );
    expect(
      errorOf({
        name: 'x',
        objects: [{ shape: 'capsule', radius: 0.03, length: 0.04, position: [0, 0, 0.03] }],
      }).field,
    ).toBe('objects[0].length');
  });

  it('reports unreadable files and YAML syntax errors with the path', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sim-scenario-'));
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, 'name: x\nobjects:\n  - { shape: box, size: [0.05\n');
    expect(() => loadScenario(broken)).toThrow(new RegExp(`^${broken}: line \\d+: not valid YAML`));
    expect(() => loadScenario(join(tmp, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read/);
    const json = join(tmp, 'ok.json');
    writeFileSync(json, JSON.stringify(valid));
    expect(loadScenario(json).objects[0].shape).toEqual({ kind: 'box', size: [0.05, 0.05, 0.05] });
  });
});
