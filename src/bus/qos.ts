/** ROS 2 quality-of-service policies that change what a subscriber sees. */
export type Reliability = 'reliable' | 'best_effort';
export type Durability = 'volatile' | 'transient_local';
export type History = 'keep_last' | 'keep_all';

export interface QoSProfile {
  readonly reliability: Reliability;
  readonly durability: Durability;
  readonly history: History;
  /** Queue depth for keep_last; ignored for keep_all. */
  readonly depth: number;
}

/** rmw_qos_profile_default */
export const QOS_DEFAULT: QoSProfile = {
  reliability: 'reliable',
  durability: 'volatile',
  history: 'keep_last',
  depth: 10,
};

/** rmw_qos_profile_sensor_data: camera streams, where the newest frame matters. */
export const QOS_SENSOR_DATA: QoSProfile = {
  reliability: 'best_effort',
  durability: 'volatile',
  history: 'keep_last',
  depth: 5,
};

/** Latched topics such as /tf_static and model status: late joiners get the last message. */
export const QOS_TRANSIENT_LOCAL: QoSProfile = {
  reliability: 'reliable',
  durability: 'transient_local',
  history: 'keep_last',
  depth: 1,
};

/** rclcpp::ClockQoS */
export const QOS_CLOCK: QoSProfile = {
  reliability: 'best_effort',
  durability: 'volatile',
  history: 'keep_last',
  depth: 1,
};

export const QOS_SERVICES: QoSProfile = QOS_DEFAULT;

/** Profile names accepted by the `input_qos` / `output_qos` parameters. */
export const QOS_PROFILES = {
  default: QOS_DEFAULT,
  system_default: QOS_DEFAULT,
  sensor_data: QOS_SENSOR_DATA,
  transient_local: QOS_TRANSIENT_LOCAL,
  services_default: QOS_SERVICES,
  clock: QOS_CLOCK,
} as const;

export type QoSProfileName = keyof typeof QOS_PROFILES;

export function qosProfile(name: string, depth?: number): QoSProfile {
  if (!(name in QOS_PROFILES)) {
    throw new Error(
      `unknown QoS profile '${name}' (expected one of ${Object.keys(QOS_PROFILES).join(', ')})`,
    );
  }
  const base = QOS_PROFILES[name as QoSProfileName];
  return depth === undefined ? base : { ...base, depth };
}

export function qos(overrides: Partial<QoSProfile>): QoSProfile {
  return { ...QOS_DEFAULT, ...overrides };
}

/**
 * ROS 2 request-vs-offered rules: a reliable subscription does not match a best-effort publisher,
 * and a transient-local subscription does not match a volatile publisher. Returns the reason, or
 * undefined when compatible.
 */
export function qosIncompatibility(offered: QoSProfile, requested: QoSProfile): string | undefined {
  if (requested.reliability === 'reliable' && offered.reliability === 'best_effort') {
    return 'RELIABILITY: subscription requests reliable, publisher offers best_effort';
  }
  if (requested.durability === 'transient_local' && offered.durability === 'volatile') {
    return 'DURABILITY: subscription requests transient_local, publisher offers volatile';
  }
  return undefined;
}

export function describeQoS(p: QoSProfile): string {
  return `${p.reliability}/${p.durability}/${p.history === 'keep_all' ? 'keep_all' : `keep_last(${p.depth})`}`;
}
