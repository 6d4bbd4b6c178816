import { RclnodejsBus, rosEnvironmentSourced } from '../../src/bus/rclnodejs-bus';
import { busContract } from './contract';

// rclnodejs needs a sourced ROS 2 installation (its native binding and generated messages, ours
// included after colcon build). Where there is none, the same contract is skipped, saying why.
if (rosEnvironmentSourced()) {
  busContract('rclnodejs', (argv = []) => RclnodejsBus.create(argv));
} else {
  describe('bus contract: rclnodejs', () => {
    it.skip('skipped: no ROS 2 environment is sourced (AMENT_PREFIX_PATH/ROS_DISTRO unset), so rclnodejs cannot run here', () => {});
  });
}
