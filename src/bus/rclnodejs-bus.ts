import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as rcl from 'rclnodejs';
import { messageRegistry, type MessageTypeName, PACKAGE_NAME, type ServiceTypeName } from '../msg';
import { SimTimeFollower, SimulatableClock, USE_SIM_TIME_PARAMETER } from './clock';
import { wallTimer } from './timer';
import { createLogger, LogConfig, type Logger, loggerNameFor } from './logging';
import { buildNodeContext, type NodeContext } from './node-context';
import { NodeBase } from './node-base';
import { type ParameterSpec, type ParameterType, type ParameterValue } from './parameters';
import { QOS_CLOCK, QOS_DEFAULT, type QoSProfile } from './qos';
import { parseRosArguments, type RosArguments } from './ros-args';
import {
  type Bus,
  type BusNode,
  type CreateNodeOptions,
  type MessageOf,
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

/** Where rclnodejs is installed (the package's own node_modules, or the installed share/ copy). */
function rclnodejsDir(): string | undefined {
  try {
    return path.dirname(require.resolve('rclnodejs/package.json'));
  } catch {
    return undefined;
  }
}

/**
 * Why rclnodejs cannot start without compiling, or undefined when it can. Its loader would run
 * node-gyp (minutes) when the native addon is missing and regenerate every message at init when
 * generated/ is missing; scripts/setup.sh does both once, so a node never compiles at start.
 */
export function rclnodejsBuildProblem(dir = rclnodejsDir()): string | undefined {
  const fix = 'run scripts/setup.sh with ROS 2 sourced (it builds rclnodejs and generates its messages)';
  if (dir === undefined) return `rclnodejs is not installed; ${fix}`;
  if (!fs.existsSync(path.join(dir, 'build', 'Release', 'rclnodejs.node')))
    return `rclnodejs's native addon is not built (${path.join(dir, 'build', 'Release')} is missing); ${fix}`;
  if (!fs.existsSync(path.join(dir, 'generated', PACKAGE_NAME)))
    return `rclnodejs has no generated ${PACKAGE_NAME} messages (${path.join(dir, 'generated')}); ${fix}`;
  return undefined;
}

/** Loads rclnodejs lazily, so nothing of it is touched unless this bus is asked for. */
export function loadRclnodejs(): Rcl {
  if (!rosEnvironmentSourced()) {
    throw new RclnodejsUnavailableError(
      'no ROS 2 environment is sourced (source /opt/ros/<distro>/setup.bash first)',
    );
  }
  const problem = rclnodejsBuildProblem();
  if (problem) throw new RclnodejsUnavailableError(problem);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only when asked for
    return require('rclnodejs') as Rcl;
  } catch (err) {
    throw new RclnodejsUnavailableError(`cannot load rclnodejs (${(err as Error).message.split('\n')[0]})`);
  }
}

/**
 * The process's arguments as rcl gets them: without remap rules. Names are resolved (and node names
 * remapped) once, by this package's resolver, and handed to rcl fully qualified; rcl applying the same
 * rules again could chain them.
 */
export function rclArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ros-args') inRos = true;
    else if (arg === '--') inRos = false;
    else if (inRos && (arg === '-r' || arg === '--remap')) {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * rclnodejs 2.2.0 creates its parameter-event publisher on the relative name 'parameter_events', so a
 * namespaced node publishes /<ns>/parameter_events; rclcpp uses the absolute /parameter_events. A
 * node-local remap puts it where `ros2 param` and every other client look.
 */
const RCLNODEJS_NODE_ARGUMENTS = ['--ros-args', '-r', 'parameter_events:=/parameter_events'];

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

/** rclnodejs 2.2.0 declares these counts as methods but implements them as getters. */
function matchedCount<E extends object>(entity: E, key: 'subscriptionCount' | 'publisherCount'): number {
  const v = (entity as Record<string, unknown>)[key];
  return Number(typeof v === 'function' ? (v as () => number).call(entity) : v);
}

class RclNode extends NodeBase implements BusNode {
  readonly logger: Logger;
  readonly clock = new SimulatableClock();
  private readonly simTime: SimTimeFollower;
  private readonly timers = new Set<Timer>();
  /** True while this adapter itself declares or sets a parameter on the rclnodejs side. */
  private mirroring = false;
  private destroyed = false;

  constructor(
    private readonly r: Rcl,
    private readonly node: rcl.Node,
    ctx: NodeContext,
    private readonly onDestroyed: () => void,
  ) {
    super(ctx);
    // rcl applies severity thresholds itself (and forwards to /rosout); our logger only adds throttling.
    const rclLogger = node.getLogger();
    this.logger = createLogger(
      loggerNameFor(ctx.fullyQualifiedName),
      new LogConfig('debug', (rec) => void rclLogger[rec.level](rec.message)),
    );
    // Our NodeParameters validates (one implementation for both buses); rclnodejs mirrors the values
    // so `ros2 param` works, and routes external sets through the same validation. rclnodejs also
    // runs these callbacks while a parameter is declared and when we mirror a set: those values were
    // validated already, and a read-only parameter must still be declarable.
    node.addOnSetParametersCallback((ps: rcl.Parameter[]) => {
      if (this.mirroring) return { successful: true, reason: '' } as never;
      const changes: Record<string, ParameterValue> = {};
      for (const p of ps) if (this.params.has(p.name)) changes[p.name] = fromRclParameterValue(p.value);
      const result = Object.keys(changes).length > 0 ? this.params.set(changes, 'ros2 param set') : undefined;
      return { successful: result?.successful ?? true, reason: result?.reason ?? '' } as never;
    });
    // The node clock follows /clock through our own best-effort subscription (rclcpp's ClockQoS): it
    // matches reliable and best-effort clock publishers alike, where rclnodejs's reliable one would
    // miss a best-effort /clock.
    this.simTime = new SimTimeFollower(this.clock, (onClock) =>
      this.createSubscription('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK, (m) => onClock(m.clock)),
    );
    // rclnodejs declares use_sim_time itself; ours is validated like every other parameter and
    // mirrored onto it.
    const useSimTime = this.params.declare('use_sim_time', USE_SIM_TIME_PARAMETER);
    this.mirror(() =>
      node.setParameter(new r.Parameter('use_sim_time', r.ParameterType.PARAMETER_BOOL, useSimTime)),
    );
    this.simTime.setUseSimTime(useSimTime);
    this.params.addOnChanged((changes) => {
      if (changes.has('use_sim_time')) this.simTime.setUseSimTime(changes.get('use_sim_time') as boolean);
    });
  }

  private mirror<T>(f: () => T): T {
    this.mirroring = true;
    try {
      return f();
    } finally {
      this.mirroring = false;
    }
  }

  createPublisher<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile = QOS_DEFAULT,
  ): Publisher<K> {
    const resolved = this.resolveTopicName(topic);
    const pub = this.node.createPublisher(type as never, resolved, { qos: toRclQoS(this.r, qos) });
    const raw = RAW_TYPES.has(type);
    return {
      topic: resolved,
      type,
      qos,
      // Work still in flight when the node stops (an inference, a diagnostics tick) publishes into a
      // destroyed publisher: dropped, as the in-process bus does, instead of rcl's invalid-pointer error.
      publish: (message: MessageOf<K>) => {
        if (this.destroyed || this.r.isShutdown()) return;
        pub.publish(raw ? Buffer.from(messageRegistry().serialize(type, message)) : (message as never));
      },
      subscriptionCount: () => matchedCount(pub, 'subscriptionCount'),
      destroy: () => {
        if (!this.destroyed) this.node.destroyPublisher(pub);
      },
    };
  }

  createSubscription<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile,
    callback: SubscriptionCallback<K>,
  ): Subscription {
    const raw = RAW_TYPES.has(type);
    const resolved = this.resolveTopicName(topic);
    let received = 0;
    const sub = this.node.createSubscription(
      type as never,
      resolved,
      { qos: toRclQoS(this.r, qos), isRaw: raw },
      (msg: unknown) => {
        received++;
        // Decoding and the callback may throw (a malformed message, a bug): that is logged; thrown
        // into rclnodejs's native executor it would abort the process.
        new Promise<void>((resolve) =>
          resolve(
            callback(
              raw ? messageRegistry().deserialize<MessageOf<K>>(type, msg as Buffer) : (msg as MessageOf<K>),
            ),
          ),
        ).catch((err: unknown) =>
          this.logger.error(`callback for '${topic}' threw: ${(err as Error).stack ?? String(err)}`),
        );
      },
    );
    return {
      topic: resolved,
      qos,
      publisherCount: () => matchedCount(sub, 'publisherCount'),
      // The middleware drops under keep-last without telling rclnodejs; only receipts are counted.
      stats: () => ({ received, dropped: 0 }),
      destroy: () => {
        if (!this.destroyed) this.node.destroySubscription(sub);
      },
    };
  }

  createService<K extends ServiceTypeName>(
    type: K,
    name: string,
    handler: (request: RequestOf<K>) => ResponseOf<K> | Promise<ResponseOf<K>>,
  ): ServiceServer {
    const resolved = this.resolveServiceName(name);
    const service = this.node.createService(
      type as never,
      resolved,
      (request: unknown, response: unknown) => {
        new Promise<ResponseOf<K>>((resolve) => resolve(handler(request as RequestOf<K>))).then(
          (res) => (response as { send(r: unknown): void }).send(res),
          (err: unknown) => this.logger.error(`service '${name}' handler threw: ${String(err)}`),
        );
      },
    );
    return {
      service: resolved,
      destroy: () => {
        if (!this.destroyed) this.node.destroyService(service);
      },
    };
  }

  createClient<K extends ServiceTypeName>(type: K, name: string): ServiceClient<K> {
    const service = this.resolveServiceName(name);
    const client = this.node.createClient(type as never, service);
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
      destroy: () => {
        if (!this.destroyed) this.node.destroyClient(client);
      },
    };
  }

  createTimer(periodSec: number, callback: () => void): Timer {
    const timer = wallTimer(periodSec, callback, this.logger);
    this.timers.add(timer);
    return timer;
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
    this.mirror(() =>
      this.node.declareParameter(
        new this.r.Parameter(name, type, toRclParameterValue(d.type, value)),
        descriptor,
        true,
      ),
    );
    return value;
  }

  override setParameters(values: Readonly<Record<string, ParameterValue>>) {
    const result = super.setParameters(values);
    if (result.successful) {
      for (const [k, v] of Object.entries(values)) {
        const type = RCL_PARAMETER_TYPE[this.params.describe(k).type] as rcl.ParameterType;
        this.mirror(() =>
          this.node.setParameter(
            new this.r.Parameter(k, type, toRclParameterValue(this.params.describe(k).type, v)),
          ),
        );
      }
    }
    return result;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.simTime.detach();
    this.node.destroy();
    this.onDestroyed();
  }
}

/** The bus over real ROS 2. `argv` holds the process's `--ros-args` (remaps, params files, …). */
export class RclnodejsBus implements Bus {
  readonly kind = 'rclnodejs' as const;
  private readonly args: RosArguments;
  private readonly nodes = new Set<RclNode>();

  private constructor(
    private readonly r: Rcl,
    argv: readonly string[],
  ) {
    this.args = parseRosArguments(argv);
  }

  static async create(argv: readonly string[] = process.argv.slice(2)): Promise<RclnodejsBus> {
    const r = loadRclnodejs();
    await r.init(undefined, ['node', 'grasp-perception', ...rclArguments(argv)]);
    return new RclnodejsBus(r, argv);
  }

  createNode(name: string, options: CreateNodeOptions = {}): BusNode {
    const ctx = buildNodeContext(name, options, this.args);
    const nodeOptions = new this.r.NodeOptions();
    // Overrides are applied (and validated) by NodeParameters; rclnodejs must not re-apply them.
    nodeOptions.automaticallyDeclareParametersFromOverrides = false;
    // The JS constructor takes (name, namespace, context, options, args, useGlobalArguments); its
    // declarations stop at options.
    const RclNodeWithArgs = this.r.Node as unknown as new (
      ...a: [string, string, rcl.Context | undefined, rcl.NodeOptions, string[], boolean]
    ) => rcl.Node;
    const node = new RclNodeWithArgs(
      ctx.identity.name,
      ctx.identity.namespace,
      undefined,
      nodeOptions,
      RCLNODEJS_NODE_ARGUMENTS,
      true,
    );
    const wrapped = new RclNode(this.r, node, ctx, () => this.nodes.delete(wrapped));
    this.nodes.add(wrapped);
    node.spin();
    return wrapped;
  }

  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** Destroys every node (their timers too, which would keep the process alive), then rcl's context. */
  async shutdown(): Promise<void> {
    for (const n of [...this.nodes]) n.destroy();
    if (!this.r.isShutdown()) this.r.shutdown();
  }
}
