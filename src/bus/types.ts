import {
  type MessageTypeMap,
  type MessageTypeName,
  type ServiceTypeMap,
  type ServiceTypeName,
  type Time,
} from '../msg';
import { type Logger } from './logging';
import {
  type ParameterDescriptor,
  type ParameterSpec,
  type ParameterSpecs,
  type ParameterValue,
  type ParameterValues,
} from './parameters';
import { type QoSProfile } from './qos';

export type MessageOf<K extends MessageTypeName> = MessageTypeMap[K];
export type RequestOf<K extends ServiceTypeName> = ServiceTypeMap[K]['request'];
export type ResponseOf<K extends ServiceTypeName> = ServiceTypeMap[K]['response'];

export interface Publisher<K extends MessageTypeName> {
  /** Fully qualified topic after namespaces and remapping. */
  readonly topic: string;
  readonly type: K;
  readonly qos: QoSProfile;
  publish(message: MessageOf<K>): void;
  /** Matched (QoS-compatible) subscriptions. */
  subscriptionCount(): number;
  destroy(): void;
}

export interface SubscriptionStats {
  /** Messages handed to the callback. */
  readonly received: number;
  /** Messages discarded by keep-last history before the callback could take them. */
  readonly dropped: number;
}

export interface Subscription {
  readonly topic: string;
  readonly qos: QoSProfile;
  publisherCount(): number;
  stats(): SubscriptionStats;
  destroy(): void;
}

export type SubscriptionCallback<K extends MessageTypeName> = (message: MessageOf<K>) => void | Promise<void>;

export interface ServiceServer {
  readonly service: string;
  destroy(): void;
}

export class ServiceTimeoutError extends Error {
  constructor(
    readonly service: string,
    readonly timeoutMs: number,
    phase: 'unavailable' | 'no response',
  ) {
    super(
      phase === 'unavailable'
        ? `service '${service}' is not available (waited ${timeoutMs} ms)`
        : `service '${service}' did not respond within ${timeoutMs} ms`,
    );
    this.name = 'ServiceTimeoutError';
  }
}

export interface ServiceClient<K extends ServiceTypeName> {
  readonly service: string;
  isServiceReady(): boolean;
  waitForService(timeoutMs: number): Promise<boolean>;
  /** Rejects with ServiceTimeoutError, or with the server's error. */
  call(request: RequestOf<K>, timeoutMs?: number): Promise<ResponseOf<K>>;
  destroy(): void;
}

export interface Timer {
  cancel(): void;
}

export interface SetParametersResult {
  readonly successful: boolean;
  readonly reason: string;
}

/** Called before parameters change; returning successful=false vetoes the whole set. */
export type OnSetParametersCallback = (changes: ReadonlyMap<string, ParameterValue>) => SetParametersResult;

/** Node clock: wall time, or the latest /clock message when `use_sim_time` is true. */
export interface NodeClock {
  now(): Time;
  isSimTime(): boolean;
}

export interface CreateNodeOptions {
  readonly namespace?: string;
  /** Extra `--ros-args` for this node only (remaps, params, params files). */
  readonly arguments?: readonly string[];
  /** Programmatic overrides (highest precedence), as launch files' `parameters=[{…}]`. */
  readonly parameterOverrides?: Readonly<Record<string, ParameterValue>>;
}

/** The one node API every grasp_perception node is written against. */
export interface BusNode {
  readonly name: string;
  readonly namespace: string;
  readonly fullyQualifiedName: string;
  readonly logger: Logger;
  readonly clock: NodeClock;

  resolveTopicName(name: string): string;
  resolveServiceName(name: string): string;

  createPublisher<K extends MessageTypeName>(type: K, topic: string, qos?: QoSProfile): Publisher<K>;
  createSubscription<K extends MessageTypeName>(
    type: K,
    topic: string,
    qos: QoSProfile,
    callback: SubscriptionCallback<K>,
  ): Subscription;
  createService<K extends ServiceTypeName>(
    type: K,
    name: string,
    handler: (request: RequestOf<K>) => ResponseOf<K> | Promise<ResponseOf<K>>,
  ): ServiceServer;
  createClient<K extends ServiceTypeName>(type: K, name: string): ServiceClient<K>;
  /** Wall-clock timer. */
  createTimer(periodSec: number, callback: () => void): Timer;

  /**
   * Declares a parameter; the initial value is the override (params file, -p, launch) if any,
   * else the default. Throws ParameterValidationError naming the parameter and its source.
   */
  declareParameter<T extends ParameterValue>(name: string, spec: ParameterSpec<T>): T;
  declareParameters<S extends ParameterSpecs>(specs: S): ParameterValues<S>;
  getParameter<T extends ParameterValue = ParameterValue>(name: string): T;
  describeParameter(name: string): ParameterDescriptor;
  listParameters(): string[];
  /** Validates every change against its descriptor, then asks the on-set callbacks; all or nothing. */
  setParameters(values: Readonly<Record<string, ParameterValue>>): SetParametersResult;
  addOnSetParametersCallback(callback: OnSetParametersCallback): void;
  /** Called after parameters changed (for nodes that reconfigure live). */
  onParametersChanged(callback: (changes: ReadonlyMap<string, ParameterValue>) => void): void;

  destroy(): void;
}

export type BusKind = 'inprocess' | 'rclnodejs';

export interface Bus {
  readonly kind: BusKind;
  createNode(name: string, options?: CreateNodeOptions): BusNode;
  /** Resolves when every queued message and pending callback has been processed (in-process), or after one spin (rclnodejs). */
  settle(): Promise<void>;
  shutdown(): Promise<void>;
}
