#!/usr/bin/env bash
# The ROS 2 test tier (npm test runs it after jest). It needs nothing sourced beforehand: it finds ROS 2
# (sourced, or /opt/ros/<distro>), builds this package into its own colcon workspace (build/ros2, via
# setup-ros.sh), keeps DDS on this machine in a domain of its own, compiles test/ros and runs it with
# Node's test runner (jest 29 cannot load rclnodejs 2.x, an ES-module package). Where there is no ROS 2
# it skips, saying why; GP_REQUIRE_ROS=1 (CI, when the shared runtime exists) makes a skip a failure.
# Ends with one line 'ros2: N passed, N failed, N skipped' and writes it to build/test-results/ros2.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ros-env.sh
source scripts/ros-env.sh
results=build/test-results
mkdir -p $results
rm -f $results/ros2.txt $results/ros2.tap

if ! gp_source_ros; then
  reason="no ROS 2 found (none sourced, no /opt/ros/<distro>/setup.bash)"
  if [ "${GP_REQUIRE_ROS:-0}" = 1 ]; then
    echo "ros2 tier: FAILED: GP_REQUIRE_ROS=1 but $reason" >&2
    exit 1
  fi
  echo "ros2 tier: skipped: $reason"
  echo "ros2: 0 passed, 0 failed, 0 skipped" >$results/ros2.txt
  exit 0
fi
t0=$(date +%s)
bash scripts/setup-ros.sh
gp_source_ws
gp_isolate_dds
echo "ros2 tier: ROS 2 $ROS_DISTRO, ROS_DOMAIN_ID=$ROS_DOMAIN_ID, discovery on localhost only"
rm -rf build/ros-tests
npx tsc -p tsconfig.ros-tests.json
status=0
node --test --test-concurrency=1 --test-timeout=900000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=$results/ros2.tap \
  "${@:-build/ros-tests/test/ros/}" || status=$?
# The TAP reporter's closing counts ('# pass N', '# skipped N', '# todo N', …); 0 when a line is absent.
count() {
  local n
  n=$(grep -E "^# $1 [0-9]+$" $results/ros2.tap 2>/dev/null | tail -1 | awk '{print $3}')
  echo "${n:-0}"
}
pass=$(count pass)
fail=$(count fail)
# Tests that did not run count as skipped: skipped, todo (node:test's name for pending) and cancelled.
skipped=$(($(count skipped) + $(count todo) + $(count cancelled)))
line="ros2: $pass passed, $fail failed, $skipped skipped"
echo "$line" | tee $results/ros2.txt
echo "ros2 tier: $(( $(date +%s) - t0 )) s"
if [ "$pass" = 0 ]; then
  echo "ros2 tier: FAILED: no test ran" >&2
  exit 1
fi
if [ "${GP_REQUIRE_ROS:-0}" = 1 ] && [ "$skipped" != 0 ]; then
  echo "ros2 tier: FAILED: $skipped tests skipped or cancelled under GP_REQUIRE_ROS=1" >&2
  exit 1
fi
exit $status
