#!/usr/bin/env bash
# The ROS 2 part of setup, run by scripts/setup.sh when a ROS 2 installation is present (sourced, or
# under /opt/ros/<distro>) and by the ROS 2 test tier. Idempotent; each step is logged and skipped
# when already done:
#   1. build tools for a downstream package (colcon, empy) when missing
#   2. rclnodejs's native addon, compiled against this ROS 2 (npm's install script for it is denied in
#      package.json, and its loader would otherwise compile on a node's first start)
#   3. this package built with colcon into a workspace of its own, build/ros2 (interfaces, launchers)
#   4. rclnodejs's JavaScript messages generated for every interface, this package's included, in the
#      source tree's and the workspace's copy of rclnodejs
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ros-env.sh
source scripts/ros-env.sh

log() { echo "setup-ros: $*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! gp_source_ros; then
  log "no ROS 2 found (none sourced, no /opt/ros/<distro>/setup.bash); nothing to do"
  exit 0
fi
log "ROS 2 $ROS_DISTRO (${GP_ROS_SETUP})"

# rclnodejs 2.2.0's engines field.
RCLNODEJS_NODE_MIN=20.20.2
node_ok=$(node -e "const v=process.versions.node.split('.').map(Number),m='$RCLNODEJS_NODE_MIN'.split('.').map(Number);console.log(v[0]>m[0]||(v[0]===m[0]&&(v[1]>m[1]||(v[1]===m[1]&&v[2]>=m[2])))?1:0)")
if [ "$node_ok" != 1 ]; then
  echo "setup-ros: rclnodejs 2.2.0 needs Node.js >= $RCLNODEJS_NODE_MIN, this is $(node --version) (e.g. from nodesource.com or nvm)" >&2
  exit 1
fi

# 1. Build tools. Debian names them colcon + python3-colcon-*; ROS's Ubuntu repository has the metapackage.
if ! command -v colcon >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import em' >/dev/null 2>&1; then
  if apt-cache policy python3-colcon-common-extensions 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    tools=(python3-colcon-common-extensions python3-empy cmake python3-dev)
  else
    tools=(colcon python3-colcon-core python3-colcon-cmake python3-colcon-ros python3-colcon-bash
      python3-colcon-library-path python3-colcon-package-information python3-colcon-package-selection
      python3-colcon-parallel-executor python3-colcon-recursive-crawl python3-colcon-output
      python3-colcon-defaults python3-colcon-metadata python3-colcon-pkg-config python3-colcon-test-result
      python3-colcon-python-setup-py python3-empy python3-setuptools cmake python3-dev libyaml-dev)
  fi
  log "installing build tools: ${tools[*]} (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi

rcl=node_modules/rclnodejs
if [ ! -f $rcl/package.json ]; then
  echo "setup-ros: $rcl is missing: run scripts/setup.sh (npm ci) first" >&2
  exit 1
fi
rcl_version=$(node -p "require('./$rcl/package.json').version")
jobs=$(nproc 2>/dev/null || echo 2)

# 2. Native addon, rebuilt when ROS 2, Node.js or rclnodejs changed.
want="$ROS_DISTRO ${AMENT_PREFIX_PATH%%:*} node $(node --version) rclnodejs $rcl_version"
stamp=$rcl/build/.grasp_perception-stamp
if [ ! -f $rcl/build/Release/rclnodejs.node ] || [ "$(cat $stamp 2>/dev/null)" != "$want" ]; then
  log "building rclnodejs $rcl_version's native addon against ROS 2 $ROS_DISTRO ($jobs jobs, about a minute; log: /tmp/grasp_perception-rclnodejs-build.log)"
  node_gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  (cd $rcl && PYTHON=/usr/bin/python3 node "$node_gyp" rebuild --nodedir="$(dirname "$(dirname "$(command -v node)")")" \
    --python=/usr/bin/python3 --jobs="$jobs" >/tmp/grasp_perception-rclnodejs-build.log 2>&1) || {
    echo "setup-ros: rclnodejs build failed; last lines of /tmp/grasp_perception-rclnodejs-build.log:" >&2
    tail -n 30 /tmp/grasp_perception-rclnodejs-build.log >&2
    exit 1
  }
  echo "$want" >$stamp
else
  log "rclnodejs native addon: up to date"
fi

# 3. This package, in its own colcon workspace. Debian's python3 (with empy), whatever comes first on PATH.
log "colcon build of grasp_perception into $GP_WS (log: /tmp/grasp_perception-colcon.log)"
colcon --log-base "$GP_WS/log" build --base-paths . --build-base "$GP_WS/build" --install-base "$GP_WS/install" \
  --cmake-args -DPython3_EXECUTABLE=/usr/bin/python3 >/tmp/grasp_perception-colcon.log 2>&1 || {
  echo "setup-ros: colcon build failed; last lines of /tmp/grasp_perception-colcon.log:" >&2
  tail -n 30 /tmp/grasp_perception-colcon.log >&2
  exit 1
}
gp_source_ws

# 4. Messages, regenerated when the interfaces, ROS 2 or rclnodejs changed.
want="$ROS_DISTRO rclnodejs $rcl_version $(cat msg/*.msg srv/*.srv | sha256sum | cut -d' ' -f1)"
stamp=$rcl/generated/.grasp_perception-stamp
installed=$GP_WS/install/grasp_perception/share/grasp_perception/$rcl
if [ ! -d $rcl/generated/grasp_perception ] || [ "$(cat $stamp 2>/dev/null)" != "$want" ]; then
  log "generating rclnodejs messages (log: /tmp/grasp_perception-rclnodejs-messages.log)"
  node $rcl/scripts/generate_messages.cjs >/tmp/grasp_perception-rclnodejs-messages.log 2>&1 || {
    echo "setup-ros: rclnodejs message generation failed; last lines of /tmp/grasp_perception-rclnodejs-messages.log:" >&2
    tail -n 30 /tmp/grasp_perception-rclnodejs-messages.log >&2
    exit 1
  }
  echo "$want" >$stamp
else
  log "rclnodejs messages: up to date"
fi
# The workspace installs a copy of node_modules; give it the same addon and messages.
if ! cmp -s $stamp "$installed/generated/.grasp_perception-stamp" || [ ! -f "$installed/build/Release/rclnodejs.node" ]; then
  rm -rf "$installed/generated" "$installed/build"
  cp -a $rcl/generated $rcl/build "$installed/"
fi
log "ready: source $GP_WS/install/setup.bash, then ros2 run|launch grasp_perception …"
