import { type MessageTypeName, type ServiceTypeName } from '../msg';
import { SimTimeFollower, SimulatableClock, USE_SIM_TIME_PARAMETER } from './clock';
import { wallTimer } from './timer';
import { createLogger, LogConfig, type Logger, loggerNameFor } from './logging';
import { buildNodeContext, type NodeContext } from './node-context';
import { NodeBase } from './node-base';
import { QOS_CLOCK, QOS_DEFAULT, qosIncompatibility, type QoSProfile } from './qos';
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
  type SubscriptionStats,
  type Timer,
} from './types';

/** keep_all has no bound in ROS either; this caps memory if a subscriber stops draining. */
const KEEP_ALL_LIMIT = 10_000;

interface Topic {
  type: string;
  readonly publishers: Set<InProcessPublisher<MessageTypeName>>;
  readonly subscriptions: Set<InProcessSubscription<MessageTypeName>>;
}

/**
 * The in-process transport: one process, same ROS 2 semantics as far as a node can observe —
 * QoS matching, keep-last queues that drop the oldest, transient-local history for late joiners,
 * asynchronous delivery in publish order, namespaces and remapping. Messages are passed by
 * reference (like intra-process zero-copy): subscribers must not mutate them.
 */
export class InProcessBus implements Bus {
  readonly kind = 'inprocess' as const;
  readonly logConfig: LogConfig;
  private readonly args: RosArguments;
  private readonly topics = new Map<string, Topic>();
  private readonly services = new Map<string, InProcessService<ServiceTypeName>>();
  private readonly serviceWaiters = new Set<() => void>();
  private readonly nodes = new Set<InProcessNode>();
  private busy = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(options: { argv?: readonly string[]; logConfig?: LogConfig } = {}) {
    this.args = parseRosArguments(options.argv ?? []);
    this.logConfig = options.logConfig ?? new LogConfig();
    for (const l of this.args.logLevels) this.logConfig.setLevel(l.logger, l.level);
  }

  createNode(name: string, options: CreateNodeOptions = {}): BusNode {
    const node = new InProcessNode(this, buildNodeContext(name, options, this.args));
    this.nodes.add(node);
    return node;
  }

  async settle(): Promise<void> {
    // Delivery is scheduled with setImmediate; wait until no queue holds work twice in a row.
    for (;;) {
      if (this.busy === 0) {
        await new Promise((r) => setImmediate(r));
        if (this.busy === 0) return;
      }
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  async shutdown(): Promise<void> {
    for (const n of [...this.nodes]) n.destroy();
    await this.settle();
  }

  /** @internal */
  workStarted(): void {
    this.busy++;
  }

  /** @internal */
  workFinished(): void {
    this.busy--;
    if (this.busy === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** @internal */
  topic(name: string, type: string, logger: Logger): Topic | undefined {
    let t = this.topics.get(name);
    if (!t) {
      t = { type, publishers: new Set(), subscriptions: new Set() };
      this.topics.set(name, t);
    }
    if (t.type !== type) {
      if (t.publishers.size === 0 && t.subscriptions.size === 0) t.type = type;
      else {
        logger.error(
          `topic '${name}' already carries ${t.type}; an endpoint of type ${type} is not connected`,
        );
        return undefined;
      }
    }
    return t;
  }

  /** @internal */
  removeNode(node: InProcessNode): void {
    this.nodes.delete(node);
  }

  /** @internal */
  registerService(server: InProcessService<ServiceTypeName>, logger: Logger): boolean {
    const existing = this.services.get(server.service);
    if (existing) {
      logger.error(`service '${server.service}' is already provided by ${existing.ownerName}`);
      return false;
    }
    this.services.set(server.service, server);
    for (const w of [...this.serviceWaiters]) w();
    return true;
  }

  /** @internal */
  unregisterService(server: InProcessService<ServiceTypeName>): void {
    if (this.services.get(server.service) === server) this.services.delete(server.service);
  }

  /** @internal */
  service(name: string): InProcessService<ServiceTypeName> | undefined {
    return this.services.get(name);
  }

  /** @internal */
  waitForServiceRegistration(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.serviceWaiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.serviceWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.serviceWaiters.add(waiter);
    });
  }
}

class InProcessPublisher<K extends MessageTypeName> implements Publisher<K> {
  /** Last `depth` messages, kept only for transient-local durability. */
  readonly history: MessageOf<K>[] = [];
  private destroyed = false;

  constructor(
    private readonly t: Topic | undefined,
    readonly topic: string,
    readonly type: K,
    readonly qos: QoSProfile,
  ) {}

  publish(message: MessageOf<K>): void {
    // As rclcpp after shutdown: work still in flight when its node stopped publishes nothing.
    if (this.destroyed) return;
    if (this.qos.durability === 'transient_local') {
      this.history.push(message);
      const keep = this.qos.history === 'keep_all' ? KEEP_ALL_LIMIT : this.qos.depth;
      while (this.history.length > keep) this.history.shift();
    }
    if (!this.t) return;
    for (const sub of this.t.subscriptions) {
      if (qosIncompatibility(this.qos, sub.qos) === undefined) sub.enqueue(message as never);
    }
  }

  subscriptionCount(): number {
    if (!this.t) return 0;
    return [...this.t.subscriptions].filter((s) => qosIncompatibility(this.qos, s.qos) === undefined).length;
  }

  destroy(): void {
    this.destroyed = true;
    this.t?.publishers.delete(this as never);
  }
}

class InProcessSubscription<K extends MessageTypeName> implements Subscription {
  private readonly queue: MessageOf<K>[] = [];
  private draining = false;
  private destroyed = false;
  private received = 0;
  private dropped = 0;

  constructor(
    private readonly bus: InProcessBus,
    private readonly t: Topic | undefined,
    readonly topic: string,
    readonly qos: QoSProfile,
    private readonly callback: SubscriptionCallback<K>,
    private readonly logger: Logger,
  ) {}

  enqueue(message: MessageOf<K>): void {
    if (this.destroyed) return;
    this.queue.push(message);
    const limit = this.qos.history === 'keep_all' ? KEEP_ALL_LIMIT : Math.max(1, this.qos.depth);
    while (this.queue.length > limit) {
      this.queue.shift();
      this.dropped++;
    }
    if (!this.draining) {
      this.draining = true;
      this.bus.workStarted();
      setImmediate(() => void this.drain());
    }
  }

  /** Delivers in order, one callback at a time; an async callback holds the queue (newest-wins under keep-last). */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.destroyed) {
        const msg = this.queue.shift() as MessageOf<K>;
        this.received++;
        try {
          const r = this.callback(msg);
          if (r && typeof (r as Promise<void>).then === 'function') await r;
        } catch (err) {
          this.logger.error(`callback for '${this.topic}' threw: ${(err as Error).stack ?? String(err)}`);
        }
      }
    } finally {
      this.draining = false;
      this.bus.workFinished();
    }
  }

  publisherCount(): number {
    if (!this.t) return 0;
    return [...this.t.publishers].filter((p) => qosIncompatibility(p.qos, this.qos) === undefined).length;
  }

  stats(): SubscriptionStats {
    return { received: this.received, dropped: this.dropped };
  }

  destroy(): void {
    this.destroyed = true;
    this.queue.length = 0;
    this.t?.subscriptions.delete(this as never);
  }
}

class InProcessService<K extends ServiceTypeName> implements ServiceServer {
  constructor(
    readonly service: string,
    readonly type: K,
    readonly ownerName: string,
    readonly handler: (request: RequestOf<K>) => ResponseOf<K> | Promise<ResponseOf<K>>,
    private readonly bus: InProcessBus,
  ) {}

  destroy(): void {
    this.bus.unregisterService(this as never);
  }
}

class InProcessClient<K extends ServiceTypeName> implements ServiceClient<K> {
  constructor(
    private readonly bus: InProcessBus,
    readonly service: string,
    private readonly type: K,
  ) {}

  private server(): InProcessService<K> | undefined {
    const s = this.bus.service(this.service);
    return s && s.type === this.type ? (s as unknown as InProcessService<K>) : undefined;
  }

  isServiceReady(): boolean {
    return this.server() !== undefined;
  }

  waitForService(timeoutMs: number): Promise<boolean> {
    return this.bus.waitForServiceRegistration(() => this.isServiceReady(), timeoutMs);
  }

  async call(request: RequestOf<K>, timeoutMs = 10_000): Promise<ResponseOf<K>> {
    const started = Date.now();
    if (!(await this.waitForService(timeoutMs))) {
      throw new ServiceTimeoutError(this.service, timeoutMs, 'unavailable');
    }
    const server = this.server() as InProcessService<K>;
    const remaining = Math.max(0, timeoutMs - (Date.now() - started));
    let timer: NodeJS.Timeout | undefined;
    this.bus.workStarted();
    try {
      return await Promise.race([
        new Promise<ResponseOf<K>>((resolve, reject) =>
          setImmediate(() => {
            try {
              Promise.resolve(server.handler(request)).then(resolve, reject);
            } catch (err) {
              reject(err);
            }
          }),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ServiceTimeoutError(this.service, timeoutMs, 'no response')),
            remaining,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.bus.workFinished();
    }
  }

  destroy(): void {}
}

class InProcessNode extends NodeBase implements BusNode {
  readonly logger: Logger;
  readonly clock = new SimulatableClock();
  private readonly entities = new Set<{ destroy(): void } | Timer>();
  private readonly simTime: SimTimeFollower;

  constructor(
    private readonly bus: InProcessBus,
    ctx: NodeContext,
  ) {
    super(ctx);
    this.logger = createLogger(loggerNameFor(ctx.fullyQualifiedName), bus.logConfig);
    this.simTime = new SimTimeFollower(this.clock, (onClock) => {
      const sub = this.createSubscription('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK, (m) =>
        onClock(m.clock),
      );
      return {
        destroy: () => {
          sub.destroy();
          this.entities.delete(sub);
        },
      };
    });
    this.simTime.setUseSimTime(this.params.declare('use_sim_time', USE_SIM_TIME_PARAMETER));
    this.params.addOnChanged((changes) => {
      if (changes.has('use_sim_time')) this.simTime.setUseSimTime(changes.get('use_sim_time') as boolean);
    });
  }

  private warnIncompatible(topic: string, offered: QoSProfile, requested: QoSProfile, role: string): void {
    const reason = qosIncompatibility(offered, requested);
    if (reason)
      this.logger.warn(`New ${role} on '${topic}' has incompatible QoS (${reason}); no messages will flow`);
  }

  createPublisher<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile = QOS_DEFAULT,
  ): Publisher<K> {
    const resolved = this.resolveTopicName(topic);
    const t = this.bus.topic(resolved, type, this.logger);
    const pub = new InProcessPublisher<K>(t, resolved, type, qos);
    if (t) {
      for (const s of t.subscriptions) this.warnIncompatible(resolved, qos, s.qos, 'publisher');
      t.publishers.add(pub as never);
    }
    this.entities.add(pub);
    return pub;
  }

  createSubscription<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile,
    callback: SubscriptionCallback<K>,
  ): Subscription {
    const resolved = this.resolveTopicName(topic);
    const t = this.bus.topic(resolved, type, this.logger);
    const sub = new InProcessSubscription<K>(this.bus, t, resolved, qos, callback, this.logger);
    if (t) {
      t.subscriptions.add(sub as never);
      for (const p of t.publishers) {
        this.warnIncompatible(resolved, p.qos, qos, 'subscription');
        // Late joiner: a transient-local publisher replays its history to a transient-local subscription.
        if (qos.durability === 'transient_local' && qosIncompatibility(p.qos, qos) === undefined) {
          for (const m of p.history) sub.enqueue(m as never);
        }
      }
    }
    this.entities.add(sub);
    return sub;
  }

  createService<K extends ServiceTypeName>(
    type: K,
    name: string,
    handler: (request: RequestOf<K>) => ResponseOf<K> | Promise<ResponseOf<K>>,
  ): ServiceServer {
    const server = new InProcessService<K>(
      this.resolveServiceName(name),
      type,
      this.fullyQualifiedName,
      handler,
      this.bus,
    );
    if (this.bus.registerService(server as never, this.logger)) this.entities.add(server);
    return server;
  }

  createClient<K extends ServiceTypeName>(type: K, name: string): ServiceClient<K> {
    const client = new InProcessClient<K>(this.bus, this.resolveServiceName(name), type);
    this.entities.add(client);
    return client;
  }

  createTimer(periodSec: number, callback: () => void): Timer {
    const timer = wallTimer(periodSec, callback, this.logger);
    this.entities.add({ destroy: () => timer.cancel() });
    return timer;
  }

  destroy(): void {
    for (const e of this.entities) {
      if ('destroy' in e) e.destroy();
      else e.cancel();
    }
    this.entities.clear();
    this.simTime.detach();
    this.bus.removeNode(this);
  }
}
