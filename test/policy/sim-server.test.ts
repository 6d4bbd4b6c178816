import { PassThrough } from 'node:stream';
import { serveSim } from '../../src/policy/sim-server';

jest.setTimeout(30_000);

test('JSON-lines protocol: errors keep the server alive; reset, observe, act, quit', async () => {
  const input = new PassThrough();
  const replies: Record<string, unknown>[] = [];
  const done = serveSim(input, (line) => replies.push(JSON.parse(line) as Record<string, unknown>));
  const grid = { x: [-0.1, 0.1], y: [-0.1, 0.1], z: [0, 0.3], resolution: 0.005 };
  for (const r of [
    { id: 1, cmd: 'act', primitive: 'grasp', x: 0, y: 0, z: 0 },
    { id: 2, cmd: 'reset', seed: 2, objects: 4, width: 160, height: 120 },
    { id: 3, cmd: 'observe', grid },
    { id: 4, cmd: 'act', primitive: 'push', x: 0, y: 0, z: 0.02, angle: 0 },
    { id: 5, cmd: 'reset', seed: -1 },
  ]) {
    input.write(`${JSON.stringify(r)}\n`);
  }
  input.write('not json\n');
  input.write(`${JSON.stringify({ id: 7, cmd: 'quit' })}\n`);
  await done;
  expect(replies.map((r) => [r.id, r.ok])).toEqual([
    [1, false],
    [2, true],
    [3, true],
    [4, true],
    [5, false],
    [undefined, false],
    [7, true],
  ]);
  expect(replies[0].error).toBe("'act' before 'reset'");
  expect(replies[2]).toMatchObject({ width: 40, height: 40, objects_remaining: 4 });
  expect(Buffer.from(replies[2].heights as string, 'base64').length).toBe(40 * 40 * 4);
  expect(replies[3]).toMatchObject({ success: expect.any(Boolean), scene_changed: expect.any(Boolean) });
  expect(replies[4].error).toMatch(/^bad request: seed: /);
});

test("a cell's scene: the camera at the asked width with the cell's field of view, the grid over its tote", async () => {
  const input = new PassThrough();
  const replies: Record<string, unknown>[] = [];
  const done = serveSim(input, (line) => replies.push(JSON.parse(line) as Record<string, unknown>));
  const grid = {
    x: [-0.217, 0.217],
    y: [-0.217, 0.217],
    z: [0, 0.3],
    resolution: 0.007,
    method: 'footprint',
  };
  for (const r of [
    // The ARC tote (0.35 x 0.6 m inside) under its SR300 (640 x 480 calibration), rendered at 320 wide.
    { id: 1, cmd: 'reset', seed: 3, cell: 'cells/arc_tote_sr300.yaml', width: 320, height: 240 },
    { id: 2, cmd: 'observe', grid, workspace_grid: true },
    { id: 3, cmd: 'observe', grid },
  ]) {
    input.write(`${JSON.stringify(r)}\n`);
  }
  input.write(`${JSON.stringify({ id: 4, cmd: 'quit' })}\n`);
  await done;
  expect(replies.map((r) => r.ok)).toEqual([true, true, true, true]);
  const camera = replies[0].camera as { width: number; height: number; fx: number; eye_height: number };
  // sr300.yaml: fx 617 at 640 px.
  expect(camera).toMatchObject({ width: 320, height: 240, eye_height: 0.64 });
  expect(camera.fx).toBeCloseTo(308.5, 6);
  expect(replies[0].workspace).toEqual([0.175, 0.3]);
  // The tote's floor less 7 mm at each wall, 7 mm cells: 48 x 84 (the given grid would be 62 x 62).
  expect(replies[1]).toMatchObject({ width: 48, height: 84 });
  expect((replies[1].grid as { method: string }).method).toBe('footprint');
  expect(replies[2]).toMatchObject({ width: 62, height: 62 });
});
