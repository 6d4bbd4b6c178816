// ROS 2 MCAP bags (cdr messages, ros2msg schemas) with @mcap/core: a writer that registers each
// topic's schema from our message registry, and a reader that decodes messages by their schema name.
import * as fs from 'node:fs/promises';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { FileHandleReadable, FileHandleWritable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { messageRegistry, type Time } from '../msg';

const toNs = (t: Time): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

export class BagWriter {
  private readonly channels = new Map<string, number>();
  private readonly schemas = new Map<string, number>();
  private sequence = 0;

  private constructor(
    private readonly writer: McapWriter,
    private readonly handle: fs.FileHandle,
  ) {}

  static async open(file: string): Promise<BagWriter> {
    const handle = await fs.open(file, 'w');
    const writer = new McapWriter({ writable: new FileHandleWritable(handle) });
    await writer.start({ profile: 'ros2', library: 'grasp_perception' });
    return new BagWriter(writer, handle);
  }

  /** Writes are chained: McapWriter's records must not interleave. */
  private queue: Promise<void> = Promise.resolve();

  /** Writes one message (serialised to CDR) on `topic`, registering topic and schema on first use. */
  write(topic: string, type: string, message: unknown, stamp: Time): Promise<void> {
    const next = this.queue.then(() => this.writeNow(topic, type, message, stamp));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeNow(topic: string, type: string, message: unknown, stamp: Time): Promise<void> {
    const reg = messageRegistry();
    let channelId = this.channels.get(topic);
    if (channelId === undefined) {
      let schemaId = this.schemas.get(type);
      if (schemaId === undefined) {
        schemaId = await this.writer.registerSchema({
          name: type,
          encoding: 'ros2msg',
          data: new TextEncoder().encode(reg.schemaText(type)),
        });
        this.schemas.set(type, schemaId);
      }
      channelId = await this.writer.registerChannel({
        topic,
        schemaId,
        messageEncoding: 'cdr',
        metadata: new Map(),
      });
      this.channels.set(topic, channelId);
    }
    const t = toNs(stamp);
    await this.writer.addMessage({
      channelId,
      sequence: this.sequence++,
      logTime: t,
      publishTime: t,
      data: reg.serialize(type, message),
    });
  }

  async close(): Promise<void> {
    await this.queue;
    await this.writer.end();
    await this.handle.close();
  }
}

export interface BagMessage {
  topic: string;
  type: string;
  logTime: bigint;
  message: unknown;
}

/** Every message of the given topics (all when omitted), in log-time order, decoded. */
export async function* readBag(file: string, topics?: readonly string[]): AsyncGenerator<BagMessage> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    throw new Error(`${file}: cannot open the bag`);
  }
  try {
    let reader: McapIndexedReader;
    try {
      reader = await McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers: await loadDecompressHandlers(),
      });
    } catch (err) {
      throw new Error(`${file}: not a readable indexed MCAP file (${(err as Error).message})`, {
        cause: err,
      });
    }
    const reg = messageRegistry();
    for await (const m of reader.readMessages({ topics })) {
      const channel = reader.channelsById.get(m.channelId)!;
      const schema = reader.schemasById.get(channel.schemaId);
      if (!schema || channel.messageEncoding !== 'cdr') continue;
      yield {
        topic: channel.topic,
        type: schema.name,
        logTime: m.logTime,
        message: reg.deserialize(schema.name, m.data),
      };
    }
  } finally {
    await handle.close();
  }
}

/** Topics and their schema names. */
export async function bagTopics(file: string): Promise<Map<string, string>> {
  const handle = await fs.open(file, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    const out = new Map<string, string>();
    for (const c of reader.channelsById.values())
      out.set(c.topic, reader.schemasById.get(c.schemaId)?.name ?? '');
    return out;
  } finally {
    await handle.close();
  }
}
