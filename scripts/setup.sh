#!/usr/bin/env bash
# One idempotent setup for a fresh Debian 12 / Ubuntu machine: system packages, npm dependencies,
# the OpenCV addon built against the system OpenCV, the TypeScript build, and where a ROS 2 is
# present, rclnodejs and this package's colcon workspace (scripts/setup-ros.sh). Safe to re-run: each
# step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential pkg-config python3 libopencv-dev python3-catkin-pkg python3-numpy python3-pil python3-skimage python3-torch python3-torchvision python3-onnx python3-sklearn python3-scipy python3-deap python3-matplotlib libsdformat-dev)
NODE_MIN=20.19.0

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_ok=$(node -e "const [a,b,c]=process.versions.node.split('.').map(Number),[x,y,z]='$NODE_MIN'.split('.').map(Number);console.log(a>x||(a===x&&(b>y||(b===y&&c>=z)))?1:0)")
if [ "$node_ok" != 1 ]; then
  echo "setup: Node.js $(node --version) is too old; grasp_perception needs >= $NODE_MIN (e.g. from nodesource.com or nvm)" >&2
  exit 1
fi

# npm ci only when package-lock.json changed since the last install (it deletes node_modules).
stamp=node_modules/.grasp_perception-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

bash scripts/build-opencv4nodejs.sh

npx tsc -p tsconfig.build.json

# With a ROS 2 present (sourced, or under /opt/ros): rclnodejs built, this package in its colcon
# workspace build/ros2, messages generated. Without one, the in-process bus needs none of it.
bash scripts/setup-ros.sh
echo "setup: ready"
