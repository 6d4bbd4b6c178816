import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MessageDefinition, type MessageDefinitionField } from '@foxglove/message-definition';
import { parse } from '@foxglove/rosmsg';
import { ros2humble, ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';

/** This package's ROS 2 name: the namespace of everything in msg/ and srv/. */
export const PACKAGE_NAME = 'grasp_perception';

/**
 * Package root (holds package.xml, msg/, srv/, config/): the nearest folder above this file with a
 * package.xml — two levels above src/msg and dist/msg, further for test builds (build/ros-tests/src/msg).
 */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.xml'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

/** The standard messages this package publishes or consumes, besides its own. */
export const STANDARD_MESSAGES = [
  'sensor_msgs/msg/Image',
  'sensor_msgs/msg/CompressedImage',
  'sensor_msgs/msg/CameraInfo',
  'geometry_msgs/msg/PoseArray',
  'geometry_msgs/msg/PoseStamped',
  'visualization_msgs/msg/MarkerArray',
  'diagnostic_msgs/msg/DiagnosticArray',
  'tf2_msgs/msg/TFMessage',
  'rosgraph_msgs/msg/Clock',
] as const;

export class UnknownMessageTypeError extends Error {
  constructor(readonly typeName: string) {
    super(`unknown message type '${typeName}' (expected 'package/msg/Type' or 'package/srv/Type')`);
    this.name = 'UnknownMessageTypeError';
  }
}

export class MessageCodecError extends Error {
  constructor(
    readonly typeName: string,
    readonly operation: 'serialize' | 'deserialize',
    cause: unknown,
  ) {
    super(`cannot ${operation} ${typeName}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MessageCodecError';
  }
}

/** Converts 'pkg/msg/Type' or 'pkg/srv/Type_Request' to the '/msg/'-less key foxglove's parser uses. */
export function definitionKey(typeName: string): string {
  const parts = typeName.split('/');
  if (parts.length === 3 && (parts[1] === 'msg' || parts[1] === 'srv')) return `${parts[0]}/${parts[2]}`;
  if (parts.length === 2) return typeName;
  throw new UnknownMessageTypeError(typeName);
}

/** Converts a definition key back to the canonical ROS 2 name ('pkg/msg/Type' or 'pkg/srv/Type_Request'). */
export function canonicalName(key: string): string {
  const [pkg, type] = key.split('/');
  const kind = /_(Request|Response)$/.test(type) ? 'srv' : 'msg';
  return `${pkg}/${kind}/${type}`;
}

/** Qualifies a field type as ROS 2 does: a bare complex type in package P's file means P's type. */
function qualify(defs: MessageDefinition[], pkg: string): MessageDefinition[] {
  return defs.map((def) => ({
    ...def,
    definitions: def.definitions.map((field: MessageDefinitionField) => {
      if (!field.isComplex || field.type.includes('/')) return field;
      if (field.type === 'Header') return { ...field, type: 'std_msgs/Header' };
      return { ...field, type: `${pkg}/${field.type}` };
    }),
  }));
}

function parseInterfaceText(text: string): MessageDefinition[] {
  return parse(text, { ros2: true, skipTypeFixup: true });
}

/** Parsed msg/*.msg and srv/*.srv of this package, as definition keys → definitions. */
export function loadPackageDefinitions(root: string = PACKAGE_ROOT): Map<string, MessageDefinition> {
  const out = new Map<string, MessageDefinition>();
  const msgDir = path.join(root, 'msg');
  for (const file of fs.readdirSync(msgDir).filter((f) => f.endsWith('.msg'))) {
    const name = `${PACKAGE_NAME}/${path.basename(file, '.msg')}`;
    const [def] = qualify(parseInterfaceText(fs.readFileSync(path.join(msgDir, file), 'utf8')), PACKAGE_NAME);
    out.set(name, { ...def, name });
  }
  const srvDir = path.join(root, 'srv');
  for (const file of fs.readdirSync(srvDir).filter((f) => f.endsWith('.srv'))) {
    const base = path.basename(file, '.srv');
    const text = fs.readFileSync(path.join(srvDir, file), 'utf8');
    const [request, response] = splitService(text, file);
    for (const [suffix, part] of [
      ['Request', request],
      ['Response', response],
    ] as const) {
      const name = `${PACKAGE_NAME}/${base}_${suffix}`;
      const [def] = qualify(parseInterfaceText(part), PACKAGE_NAME);
      out.set(name, { name, definitions: def?.definitions ?? [] });
    }
  }
  return out;
}

function splitService(text: string, file: string): [string, string] {
  const parts = text.split(/^---\s*$/m);
  if (parts.length !== 2) throw new Error(`${file}: a .srv file needs exactly one '---' separator`);
  return [parts[0], parts[1]];
}

/** Standard definitions for the ROS 2 distro in use (Humble and Jazzy differ, e.g. in Marker). */
function standardDefinitions(distro: string | undefined): Record<string, MessageDefinition> {
  return (distro === 'humble' || distro === 'iron' ? ros2humble : ros2jazzy) as Record<
    string,
    MessageDefinition
  >;
}

/**
 * Every message definition the package knows, with serializers: one source of truth for the
 * interfaces (the .msg/.srv files plus the distro's standard definitions).
 */
export class MessageRegistry {
  private readonly defs = new Map<string, MessageDefinition>();
  private readonly readers = new Map<string, MessageReader>();
  private readonly writers = new Map<string, MessageWriter>();

  constructor(
    root: string = PACKAGE_ROOT,
    readonly distro: string = process.env.ROS_DISTRO ?? 'jazzy',
  ) {
    const std = standardDefinitions(distro);
    for (const [key, def] of Object.entries(std)) this.defs.set(key, { ...def, name: key });
    // rosgraph_msgs/Clock is not in the common set; its definition is one line.
    this.defs.set('rosgraph_msgs/Clock', {
      name: 'rosgraph_msgs/Clock',
      definitions: [{ name: 'clock', type: 'time', isComplex: false, isArray: false }],
    });
    for (const [key, def] of loadPackageDefinitions(root)) this.defs.set(key, def);
  }

  has(typeName: string): boolean {
    try {
      return this.defs.has(definitionKey(typeName));
    } catch {
      return false;
    }
  }

  /** The named type followed by every type it depends on (the order foxglove's codecs expect). */
  definitionsFor(typeName: string): MessageDefinition[] {
    const root = definitionKey(typeName);
    if (!this.defs.has(root)) throw new UnknownMessageTypeError(typeName);
    const order: MessageDefinition[] = [];
    const seen = new Set<string>();
    const visit = (key: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      const def = this.defs.get(key);
      if (!def) throw new UnknownMessageTypeError(canonicalName(key));
      order.push(def);
      for (const f of def.definitions) if (f.isComplex && !f.isConstant) visit(f.type);
    };
    visit(root);
    return order;
  }

  /** All canonical type names known ('pkg/msg/Type', 'pkg/srv/Type_Request', …). */
  typeNames(): string[] {
    return [...this.defs.keys()].map(canonicalName).sort();
  }

  /**
   * The ros2msg schema text (the type, then '===' + 'MSG: pkg/Type' sections for dependencies), as
   * MCAP's ros2msg encoding and rosbag2 store it.
   */
  schemaText(typeName: string): string {
    const [first, ...deps] = this.definitionsFor(typeName);
    const body = (def: MessageDefinition): string =>
      def.definitions
        .map((f) => {
          const type =
            f.type === 'time'
              ? 'builtin_interfaces/Time'
              : f.type === 'duration'
                ? 'builtin_interfaces/Duration'
                : f.type;
          const arr = f.isArray
            ? `[${f.arrayUpperBound !== undefined ? `<=${f.arrayUpperBound}` : (f.arrayLength ?? '')}]`
            : '';
          return f.isConstant
            ? `${type} ${f.name}=${f.valueText ?? String(f.value)}`
            : `${type}${arr} ${f.name}`;
        })
        .join('\n');
    const used = new Set(
      [first, ...deps].flatMap((d) => d.definitions.filter((f) => !f.isConstant).map((f) => f.type)),
    );
    const timeDeps = [
      ['time', 'builtin_interfaces/Time'],
      ['duration', 'builtin_interfaces/Duration'],
    ]
      .filter(([builtin]) => used.has(builtin))
      .map(([, name]) => name);
    const sections = [body(first)];
    for (const dep of deps) sections.push(`MSG: ${dep.name}\n${body(dep)}`);
    for (const t of timeDeps) sections.push(`MSG: ${t}\nint32 sec\nuint32 nanosec`);
    return sections.join(
      '\n================================================================================\n',
    );
  }

  serialize(typeName: string, message: unknown): Uint8Array {
    try {
      return this.writer(typeName).writeMessage(message);
    } catch (err) {
      if (err instanceof UnknownMessageTypeError) throw err;
      throw new MessageCodecError(typeName, 'serialize', err);
    }
  }

  deserialize<T = unknown>(typeName: string, data: ArrayBufferView): T {
    try {
      const reader = this.reader(typeName);
      const msg = reader.readMessage<T>(data);
      // The reader works on the underlying ArrayBuffer and can run past a view's end unnoticed.
      if (reader.lastReadByteLength() > data.byteLength) {
        throw new Error(`truncated: needs ${reader.lastReadByteLength()} bytes, got ${data.byteLength}`);
      }
      return msg;
    } catch (err) {
      if (err instanceof UnknownMessageTypeError) throw err;
      throw new MessageCodecError(typeName, 'deserialize', err);
    }
  }

  private reader(typeName: string): MessageReader {
    let r = this.readers.get(typeName);
    if (!r) {
      r = new MessageReader(this.definitionsFor(typeName));
      this.readers.set(typeName, r);
    }
    return r;
  }

  private writer(typeName: string): MessageWriter {
    let w = this.writers.get(typeName);
    if (!w) {
      w = new MessageWriter(this.definitionsFor(typeName));
      this.writers.set(typeName, w);
    }
    return w;
  }
}

let shared: MessageRegistry | undefined;

/** The process-wide registry (definitions are read from disk once). */
export function messageRegistry(): MessageRegistry {
  shared ??= new MessageRegistry();
  return shared;
}
