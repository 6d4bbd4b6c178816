#!/usr/bin/env bash
# Builds @u4/opencv4nodejs against Debian's system OpenCV (libopencv-dev). npm's install script for it
# is denied in package.json (it would try to download and compile OpenCV itself); this is the
# controlled, offline equivalent. Idempotent: skips when the addon exists and loads.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=node_modules/@u4/opencv4nodejs
addon=$pkg/build/Release/opencv4nodejs.node
if [ -f "$addon" ] && node -e "require('./$pkg')" >/dev/null 2>&1; then
  exit 0
fi
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
export OPENCV_LIB_DIR=/usr/lib/$(gcc -dumpmachine)
export OPENCV_BIN_DIR=/usr/bin
jobs=$(nproc 2>/dev/null || echo 2)
echo "building @u4/opencv4nodejs against system OpenCV ($OPENCV_LIB_DIR, $jobs jobs; a few minutes)..."
node-gyp() { node "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" "$@"; }
(cd "$pkg" && JOBS=$jobs node-gyp rebuild --nodedir=/usr --jobs="$jobs" >/tmp/grasp_perception-opencv-build.log 2>&1) || {
  echo "opencv4nodejs build failed; last lines of /tmp/grasp_perception-opencv-build.log:" >&2
  tail -n 30 /tmp/grasp_perception-opencv-build.log >&2
  exit 1
}
node -e "require('./$pkg')" >/dev/null
echo "opencv4nodejs built: $addon"
