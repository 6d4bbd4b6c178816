import type * as rcl from 'rclnodejs';
import { messageRegistry, type MessageTypeName, type ServiceTypeName } from '../msg';
import { createLogger, LogConfig, type Logger, loggerNameFor } from './logging';
import { buildNodeContext, type NodeContext } from './node-context';
import { NodeBase } from './node-base';
import { type ParameterSpec, type ParameterType, type ParameterValue } from './parameters';
import { QOS_DEFAULT, type QoSProfile } from './qos';
import { parseRosArguments, type RosArguments } from './ros-args';
import {
  type Bus,
  type BusNode,
  type CreateNodeOptions,
  type MessageOf,
  type NodeClock,
  type Publisher,
  type RequestOf,
  type ResponseOf,
  type ServiceClient,
  type ServiceServer,
  ServiceTimeoutError,
  type Subscription,
  type SubscriptionCallback,
  type Timer,
} from './types';

// A thin adapter from BusNode to rclnodejs, compiled against rclnodejs's own declarations. Large
// messages travel as serialized CDR in both directions and go through our codec: rclnodejs's
// object wrapper is slow for images (REFERENCES.md, "Known pain").

type Rcl = typeof rcl;

/** Types decoded from raw CDR with our codec rather than rclnodejs's object wrapper. */
const RAW_TYPES: ReadonlySet<string> = new Set(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage']);

/** True when a ROS 2 environment is sourced (rclnodejs needs its libraries and generated messages). */
export function rosEnvironmentSourced(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.AMENT_PREFIX_PATH && !!env.ROS_DISTRO;
}

export class RclnodejsUnavailableError extends Error {
  constructor(reason: string) {
    super(`the rclnodejs bus is unavailable: ${reason}`);
    this.name = 'RclnodejsUnavailableError';
  }
}

/** Loads rclnodejs lazily, so nothing of it is touched unless this bus is asked for. */
export function loadRclnodejs(): Rcl {
  if (!rosEnvironmentSourced()) {
    throw new RclnodejsUnavailableError(
      'no ROS 2 environment is sourced (source /opt/ros/<distro>/setup.bash first)',
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only when asked for
    return require('rclnodejs') as Rcl;
  } catch (err) {
    throw new RclnodejsUnavailableError(`cannot load rclnodejs (${(err as Error).message.split('\n')[0]})`);
  }
}

function toRclQoS(r: Rcl, q: QoSProfile): rcl.QoS {
  return new r.QoS(
    q.history === 'keep_all' ? 2 : 1,
    q.depth,
    q.reliability === 'reliable' ? 1 : 2,
    (q.durability === 'transient_local' ? 1 : 2) as rcl.QoS.DurabilityPolicy,
  );
}

const RCL_PARAMETER_TYPE: Record<ParameterType, number> = {
  bool: 1,
  integer: 2,
  double: 3,
  string: 4,
  bool_array: 6,
  integer_array: 7,
  double_array: 8,
  string_array: 9,
};

function toRclParameterValue(type: ParameterType, value: ParameterValue): unknown {
  if (type === 'integer') return BigInt(value as number);
  if (type === 'integer_array') return (value as number[]).map((v) => BigInt(v));
  return value;
}

function fromRclParameterValue(value: unknown): ParameterValue {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'bigint' ? Number(v) : v)) as ParameterValue;
  return value as ParameterValue;
}

class RclNode extends NodeBase implements BusNode {
  readonly logger: Logger;
  readonly clock: NodeClock;

  constructor(
    private readonly r: Rcl,
    private readonly node: rcl.Node,
    ctx: NodeContext,
  ) {
    super(ctx);
    // rcl applies severity thresholds itself (and forwards to /rosout); our logger only adds throttling.
    const rclLogger = node.getLogger();
    this.logger = createLogger(
      loggerNameFor(ctx.fullyQualifiedName),
      new LogConfig('debug', (rec) => void rclLogger[rec.level](rec.message)),
    );
    this.clock = {
      now: () => {
        const { seconds, nanoseconds } = node.now().secondsAndNanoseconds;
        return { sec: Number(seconds), nanosec: Number(nanoseconds) };
      },
      isSimTime: () => node.getParameter('use_sim_time').value === true,
    };
    // Our NodeParameters validates (one implementation for both buses); rclnodejs mirrors the values
    // so `ros2 param` works, and routes external sets through the same validation.
    node.addOnSetParametersCallback((ps: rcl.Parameter[]) => {
      const changes: Record<string, ParameterValue> = {};
      for (const p of ps) if (this.params.has(p.name)) changes[p.name] = fromRclParameterValue(p.value);
      const result = Object.keys(changes).length > 0 ? this.params.set(changes, 'ros2 param set') : undefined;
      return { successful: result?.successful ?? true, reason: result?.reason ?? '' } as never;
    });
  }

  createPublisher<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile = QOS_DEFAULT,
  ): Publisher<K> {
    const pub = this.node.createPublisher(type as never, topic, { qos: toRclQoS(this.r, qos) });
    const raw = RAW_TYPES.has(type);
    return {
      topic: this.resolveTopicName(topic),
      type,
      qos,
      publish: (message: MessageOf<K>) =>
        pub.publish(raw ? Buffer.from(messageRegistry().serialize(type, message)) : (message as never)),
      subscriptionCount: () => pub.subscriptionCount(),
      destroy: () => this.node.destroyPublisher(pub),
    };
  }

  createSubscription<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile,
    callback: SubscriptionCallback<K>,
  ): Subscription {
    const raw = RAW_TYPES.has(type);
    let received = 0;
    const sub = this.node.createSubscription(
      type as never,
      topic,
      { qos: toRclQoS(this.r, qos), isRaw: raw },
      (msg: unknown) => {
        received++;
        const decoded = raw
          ? messageRegistry().deserialize<MessageOf<K>>(type, msg as Buffer)
          : (msg as MessageOf<K>);
        Promise.resolve(callback(decoded)).catch((err: unknown) =>
          this.logger.error(`callback for '${topic}' threw: ${(err as Error).stack ?? String(err)}`),
        );
      },
    );
    return {
      topic: this.resolveTopicName(topic),
      qos,
      publisherCount: () => sub.publisherCount(),
      // The middleware drops under keep-last without telling rclnodejs; only receipts are counted.
      stats: () => ({ received, dropped: 0 }),
      destroy: () => this.node.destroySubscription(sub),
    };
  }

  createService<K extends ServiceTypeName>(
    type: K,
    name: string,
    handler: (request: RequestOf<K>) => ResponseOf<K> | Promise<ResponseOf<K>>,
  ): ServiceServer {
    const service = this.node.createService(type as never, name, (request: unknown, response: unknown) => {
      Promise.resolve(handler(request as RequestOf<K>)).then(
        (res) => (response as { send(r: unknown): void }).send(res),
        (err: unknown) => this.logger.error(`service '${name}' handler threw: ${String(err)}`),
      );
    });
    return { service: this.resolveServiceName(name), destroy: () => this.node.destroyService(service) };
  }

  createClient<K extends ServiceTypeName>(type: K, name: string): ServiceClient<K> {
    const client = this.node.createClient(type as never, name);
    const service = this.resolveServiceName(name);
    return {
      service,
      isServiceReady: () => client.isServiceServerAvailable(),
      waitForService: (timeoutMs) => client.waitForService(timeoutMs),
      call: async (request, timeoutMs = 10_000) => {
        if (!(await client.waitForService(timeoutMs)))
          throw new ServiceTimeoutError(service, timeoutMs, 'unavailable');
        try {
          return (await client.sendRequestAsync(request as never, { timeout: timeoutMs })) as ResponseOf<K>;
        } catch (err) {
          if ((err as Error).name === 'TimeoutError')
            throw new ServiceTimeoutError(service, timeoutMs, 'no response');
          throw err;
        }
      },
      destroy: () => this.node.destroyClient(client),
    };
  }

  createTimer(periodSec: number, callback: () => void): Timer {
    const t = this.node.createTimer(BigInt(Math.round(periodSec * 1e9)), () => callback());
    return { cancel: () => t.cancel() };
  }

  override declareParameter<T extends ParameterValue>(name: string, spec: ParameterSpec<T>): T {
    const value = super.declareParameter(name, spec);
    const d = spec.descriptor;
    const type = RCL_PARAMETER_TYPE[d.type] as rcl.ParameterType;
    const range =
      d.range === undefined
        ? undefined
        : d.type === 'integer' || d.type === 'integer_array'
          ? new this.r.IntegerRange(BigInt(d.range.from), BigInt(d.range.to), BigInt(d.range.step ?? 0))
          : new this.r.FloatingPointRange(d.range.from, d.range.to, d.range.step ?? 0);
    const descriptor = new this.r.ParameterDescriptor(name, type, d.description, d.readOnly, range);
    if (d.additionalConstraints) descriptor.additionalConstraints = d.additionalConstraints;
    // ignoreOverride: the value was already taken from the same overrides and validated above.
    this.node.declareParameter(
      new this.r.Parameter(name, type, toRclParameterValue(d.type, value)),
      descriptor,
      true,
    );
    return value;
  }

  override setParameters(values: Readonly<Record<string, ParameterValue>>) {
    const result = super.setParameters(values);
    if (result.successful) {
      for (const [k, v] of Object.entries(values)) {
        const type = RCL_PARAMETER_TYPE[this.params.describe(k).type] as rcl.ParameterType;
        this.node.setParameter(
          new this.r.Parameter(k, type, toRclParameterValue(this.params.describe(k).type, v)),
        );
      }
    }
    return result;
  }
  destroy(): void {
    this.node.destroy();
  }
}

/** The bus over real ROS 2. `argv` holds the process's `--ros-args` (remaps, params files, …). */
export class RclnodejsBus implements Bus {
  readonly kind = 'rclnodejs' as const;
  private readonly args: RosArguments;

  private constructor(
    private readonly r: Rcl,
    argv: readonly string[],
  ) {
    this.args = parseRosArguments(argv);
  }

  static async create(argv: readonly string[] = process.argv.slice(2)): Promise<RclnodejsBus> {
    const r = loadRclnodejs();
    await r.init(undefined, ['node', 'grasp-perception', ...argv]);
    return new RclnodejsBus(r, argv);
  }

  createNode(name: string, options: CreateNodeOptions = {}): BusNode {
    const ctx = buildNodeContext(name, options, this.args);
    const nodeOptions = new this.r.NodeOptions();
    // Overrides are applied (and validated) by NodeParameters; rclnodejs must not re-apply them.
    nodeOptions.automaticallyDeclareParametersFromOverrides = false;
    const node = new this.r.Node(ctx.identity.name, ctx.identity.namespace, undefined, nodeOptions);
    const wrapped = new RclNode(this.r, node, ctx);
    node.spin();
    return wrapped;
  }

  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  async shutdown(): Promise<void> {
    if (!this.r.isShutdown()) this.r.shutdown();
  }
}
