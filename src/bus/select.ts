import { InProcessBus } from './inprocess';
import { RclnodejsBus, rosEnvironmentSourced } from './rclnodejs-bus';
import { type Bus } from './types';

export type BusChoice = 'auto' | 'inprocess' | 'rclnodejs';

/**
 * 'auto' picks rclnodejs when a ROS 2 environment is sourced, else the in-process bus; rclnodejs is
 * only required when chosen.
 */
export async function createBus(choice: BusChoice, argv: readonly string[] = []): Promise<Bus> {
  if (choice === 'rclnodejs' || (choice === 'auto' && rosEnvironmentSourced()))
    return RclnodejsBus.create(argv);
  return new InProcessBus({ argv });
}
