#!/usr/bin/env bash
# Measures topic rates over DDS, as an integrator would with `ros2 topic hz`: sim_node (the camera, at
# its configured rate), perception_node and segmentation_node, each its own process started with
# `ros2 run` and the package's params files. Prints one JSON object; not a test (nothing is asserted).
#   bash scripts/ros-rates.sh [seconds per topic, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ros-env.sh
gp_source_ros || { echo "ros-rates: no ROS 2 found" >&2; exit 1; }
bash scripts/setup-ros.sh >/dev/null
gp_source_ws
gp_isolate_dds
secs=${1:-15}
share=$GP_WS/install/grasp_perception/share/grasp_perception
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT -- "-$p" 2>/dev/null || true; done; sleep 2; for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for n in sim:sim_node perception:perception_node segmentation:segmentation_node; do
  setsid ros2 run grasp_perception "${n#*:}" --ros-args --params-file "$share/config/${n%%:*}.yaml" -r __ns:=/rates \
    >"/tmp/grasp_perception-rates-${n#*:}.log" 2>&1 &
  pids+=($!)
done
sleep 15
hz() {
  timeout $((secs + 10)) ros2 topic hz "$1" --window 1000 2>/dev/null &
  local p=$!
  sleep "$secs"
  kill -INT $p 2>/dev/null || true
  wait $p 2>/dev/null || true
}
json="{\"seconds_per_topic\": $secs, \"load_average\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\", \"cores\": $(nproc), \"rates_hz\": {"
sep=
for t in /rates/color/image_raw /rates/aligned_depth/image_raw /rates/perception_node/suction_grasps /rates/perception_node/instances /rates/segmentation_node/labels; do
  rate=$(hz "$t" | grep 'average rate' | tail -1 | awk '{print $3}')
  json+="$sep\"$t\": ${rate:-null}"
  sep=", "
done
echo "$json}}"
