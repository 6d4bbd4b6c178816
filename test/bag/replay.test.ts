// MCAP round trip: a bag written by `sim record` is replayed through the nodes; the output bag holds
// grasps and instances that decode with the schemas stored in it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { bagTopics, readBag } from '../../src/bag/mcap';
import { recordSim, replay } from '../../src/bag/replay';
import { type ObjectInstanceArray, type SuctionGraspArray } from '../../src/msg';

jest.setTimeout(120_000);

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-bag-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const record = (name: string, compressed: boolean) =>
  recordSim({
    out: path.join(dir, name),
    frames: 3,
    seed: 4,
    objects: 8,
    width: 320,
    height: 240,
    compressed,
  });

test.each([false, true])(
  'replays a recorded bag (compressed: %s) into a bag Foxglove can open',
  async (compressed) => {
    const input = path.join(dir, `in-${compressed}.mcap`);
    const out = path.join(dir, `out-${compressed}.mcap`);
    await record(path.basename(input), compressed);
    const r = await replay({ input, out, segmentation: true });
    expect(r.input_messages).toBe(9);
    const grasps: SuctionGraspArray[] = [];
    const instances: ObjectInstanceArray[] = [];
    for await (const m of readBag(out)) {
      if (m.topic === '/perception_node/suction_grasps') grasps.push(m.message as SuctionGraspArray);
      if (m.topic === '/perception_node/instances') instances.push(m.message as ObjectInstanceArray);
    }
    expect(grasps).toHaveLength(3);
    expect(instances).toHaveLength(3);
    expect(grasps[0].grasps.length).toBeGreaterThan(0);
    expect(grasps[0].grasps[0].pose.position.z).toBeGreaterThan(0.3);
    expect(instances[0].instances.length).toBeGreaterThan(2);
    expect(instances[0].instances[0].visible_mask.encoding).toBe('mono8');
    // Every channel has a ros2msg schema with the full definition text, as Foxglove needs.
    const handle = await fs.promises.open(out, 'r');
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    expect(reader.header.profile).toBe('ros2');
    for (const ch of reader.channelsById.values()) {
      const schema = reader.schemasById.get(ch.schemaId)!;
      expect([ch.messageEncoding, schema.encoding]).toEqual(['cdr', 'ros2msg']);
      expect(new TextDecoder().decode(schema.data).length).toBeGreaterThan(20);
    }
    await handle.close();
    const topics = await bagTopics(out);
    expect(topics.get('/perception_node/suction_grasps')).toBe('grasp_perception/msg/SuctionGraspArray');
    expect(topics.get('/segmentation_node/labels')).toBe('sensor_msgs/msg/Image');
    expect([...topics.keys()].some((t) => t.startsWith('/camera/color/image_raw'))).toBe(true);
  },
);

test('a missing topic or file is one clear error', async () => {
  await record('t.mcap', false);
  await expect(
    replay({
      input: path.join(dir, 't.mcap'),
      out: path.join(dir, 'x.mcap'),
      colorTopic: '/nope',
      segmentation: false,
    }),
  ).rejects.toThrow(
    /color topic \/nope is not in the bag \(it has: .*\/camera\/color\/image_raw \(sensor_msgs\/msg\/Image\)/,
  );
  await expect(
    replay({ input: path.join(dir, 'missing.mcap'), out: path.join(dir, 'y.mcap'), segmentation: false }),
  ).rejects.toThrow(/missing\.mcap/);
});
