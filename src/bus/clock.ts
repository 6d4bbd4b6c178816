import { secondsToTime, type Time } from '../msg';
import { type NodeClock } from './types';

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
