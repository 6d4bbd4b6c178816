import { secondsToTime, type Time } from '../msg';
import { param } from './parameters';
import { type NodeClock } from './types';

/** Every node has it, on both buses, as in rclcpp. */
export const USE_SIM_TIME_PARAMETER = param.bool(false, 'Use /clock (rosgraph_msgs/Clock) as the node clock');

/**
 * ROS time source: wall time unless `use_sim_time`, then the last /clock message (zero until one
 * arrives, as rclcpp does).
 */
export class SimulatableClock implements NodeClock {
  private simTime: Time = { sec: 0, nanosec: 0 };
  private sim = false;

  setUseSimTime(enabled: boolean): void {
    this.sim = enabled;
  }

  onClockMessage(t: Time): void {
    this.simTime = { sec: t.sec, nanosec: t.nanosec };
  }

  isSimTime(): boolean {
    return this.sim;
  }

  now(): Time {
    return this.sim ? { ...this.simTime } : secondsToTime(Date.now() / 1000);
  }
}

/**
 * Keeps a node's clock on /clock while its `use_sim_time` parameter is true: subscribes when it turns
 * on, unsubscribes when it turns off. Both buses' nodes use it, so sim time behaves the same on each.
 */
export class SimTimeFollower {
  private subscription: { destroy(): void } | undefined;

  constructor(
    private readonly clock: SimulatableClock,
    private readonly subscribeClock: (onClock: (t: Time) => void) => { destroy(): void },
  ) {}

  setUseSimTime(enabled: boolean): void {
    this.clock.setUseSimTime(enabled);
    if (enabled && !this.subscription) {
      this.subscription = this.subscribeClock((t) => this.clock.onClockMessage(t));
    } else if (!enabled && this.subscription) {
      this.subscription.destroy();
      this.subscription = undefined;
    }
  }

  /** Forgets the subscription (the node destroyed it with its other entities). */
  detach(): void {
    this.subscription = undefined;
  }
}
