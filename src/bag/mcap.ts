// ROS 2 MCAP bags (cdr messages, ros2msg schemas) with @mcap/core: a writer that registers each
// topic's schema from our message registry, and a reader that decodes messages by their schema name.
import * as fs from 'node:fs/promises';
import {
  hasMcapPrefix,
  MCAP_MAGIC,
  McapIndexedReader,
  McapStreamReader,
  McapWriter,
  type TypedMcapRecord,
} from '@mcap/core';
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

/** Problems a bag can be read despite (no index, a truncated end): one line each, naming the file. */
export type BagWarning = (message: string) => void;

async function openForReading(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    throw new Error(`${file}: cannot open the bag (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
      cause: err,
    });
  }
}

/** Refuses a file that is not MCAP at all, before any reader reports raw bytes. */
async function requireMcapMagic(file: string, handle: fs.FileHandle): Promise<void> {
  const head = new Uint8Array(MCAP_MAGIC.length);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead < head.length || !hasMcapPrefix(new DataView(head.buffer))) {
    throw new Error(
      `${file}: not an MCAP file (it does not start with the MCAP magic bytes; record bags with \`ros2 bag record -s mcap\`)`,
    );
  }
}

/** The indexed reader, or the reason the file has no usable index (then it is read as a stream). */
async function indexedReader(
  handle: fs.FileHandle,
): Promise<{ reader: McapIndexedReader } | { unindexed: string }> {
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await loadDecompressHandlers(),
    });
    if (reader.channelsById.size === 0 && reader.chunkIndexes.length === 0) {
      return { unindexed: 'its footer has no summary' };
    }
    return { reader };
  } catch (err) {
    return { unindexed: (err as Error).message.split('\n')[0] };
  }
}

const STREAM_READ_BYTES = 1 << 20;

/**
 * Every record of an MCAP file in file order, read as a stream: for bags whose recorder died before
 * writing the summary and footer. Stops at the first damaged or incomplete record and reports it.
 */
async function* streamRecords(
  file: string,
  handle: fs.FileHandle,
  warn: BagWarning,
): AsyncGenerator<TypedMcapRecord> {
  const reader = new McapStreamReader({ decompressHandlers: await loadDecompressHandlers() });
  const buffer = new Uint8Array(STREAM_READ_BYTES);
  let offset = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
    reader.append(buffer.slice(0, bytesRead));
    try {
      for (let r = reader.nextRecord(); r; r = reader.nextRecord()) yield r;
    } catch (err) {
      warn(
        `${file}: damaged after about byte ${offset - reader.bytesRemaining()} (${(err as Error).message.split('\n')[0]}); the records before it are used`,
      );
      return;
    }
    if (reader.done()) return;
  }
  if (!reader.done()) {
    warn(
      `${file}: truncated: ${reader.bytesRemaining()} bytes at the end are an incomplete record (the recorder stopped before closing the bag); the intact records before them are used`,
    );
  }
}

/**
 * Every message of the given topics (all when omitted), decoded: in log-time order from an indexed
 * bag; in file order from a bag without summary or footer (a recording that was cut off), which is
 * reported through `warn` and read as far as it is intact.
 */
export async function* readBag(
  file: string,
  topics?: readonly string[],
  warn: BagWarning = () => undefined,
): AsyncGenerator<BagMessage> {
  const handle = await openForReading(file);
  try {
    await requireMcapMagic(file, handle);
    const reg = messageRegistry();
    const opened = await indexedReader(handle);
    if ('reader' in opened) {
      const { reader } = opened;
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
      return;
    }
    warn(`${file}: unindexed (${opened.unindexed}): read as a stream, in file order`);
    const wanted = topics ? new Set(topics) : undefined;
    const schemas = new Map<number, string>();
    const channels = new Map<number, { topic: string; type: string | undefined; cdr: boolean }>();
    for await (const r of streamRecords(file, handle, warn)) {
      if (r.type === 'Schema') schemas.set(r.id, r.name);
      else if (r.type === 'Channel') {
        channels.set(r.id, {
          topic: r.topic,
          type: schemas.get(r.schemaId),
          cdr: r.messageEncoding === 'cdr',
        });
      } else if (r.type === 'Message') {
        const c = channels.get(r.channelId);
        if (!c || !c.type || !c.cdr || (wanted && !wanted.has(c.topic))) continue;
        yield { topic: c.topic, type: c.type, logTime: r.logTime, message: reg.deserialize(c.type, r.data) };
      }
    }
  } finally {
    await handle.close();
  }
}

/** Topics and their schema names (from the summary, or by reading an unindexed bag through). */
export async function bagTopics(
  file: string,
  warn: BagWarning = () => undefined,
): Promise<Map<string, string>> {
  const handle = await openForReading(file);
  try {
    await requireMcapMagic(file, handle);
    const out = new Map<string, string>();
    const opened = await indexedReader(handle);
    if ('reader' in opened) {
      const { reader } = opened;
      for (const c of reader.channelsById.values()) {
        out.set(c.topic, reader.schemasById.get(c.schemaId)?.name ?? '');
      }
      return out;
    }
    const schemas = new Map<number, string>();
    for await (const r of streamRecords(file, handle, () => undefined)) {
      if (r.type === 'Schema') schemas.set(r.id, r.name);
      else if (r.type === 'Channel') out.set(r.topic, schemas.get(r.schemaId) ?? '');
    }
    if (out.size === 0)
      warn(`${file}: no intact channel records (the bag is empty or damaged from the start)`);
    return out;
  } finally {
    await handle.close();
  }
}
