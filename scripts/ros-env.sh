# Sourced by setup-ros.sh and test-ros.sh: finds a ROS 2 installation and sources it, and puts this
# package's own colcon workspace (build/ros2, git-ignored) on top when it has been built.
#   gp_find_ros      prints the setup.bash to use: the sourced ROS 2 (ROS_DISTRO + AMENT_PREFIX_PATH),
#                    else /opt/ros/<distro>/setup.bash (jazzy first); nothing when there is none
#   gp_source_ros    sources it (returns 1 when there is none)
#   gp_source_ws     sources build/ros2/install/setup.bash on top
#   gp_isolate_dds   keeps DDS traffic on this machine, in a domain of this run's own
GP_ROOT=${GP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
GP_WS=${GP_WS:-$GP_ROOT/build/ros2}

gp_find_ros() {
  if [ -n "${ROS_DISTRO:-}" ] && [ -n "${AMENT_PREFIX_PATH:-}" ]; then
    echo "sourced ROS 2 $ROS_DISTRO"
    return
  fi
  local d
  for d in /opt/ros/jazzy /opt/ros/kilted /opt/ros/humble /opt/ros/rolling /opt/ros/*; do
    if [ -f "$d/setup.bash" ]; then
      echo "$d/setup.bash"
      return
    fi
  done
}

gp_source_ros() {
  GP_ROS_SETUP=$(gp_find_ros)
  [ -n "$GP_ROS_SETUP" ] || return 1
  case $GP_ROS_SETUP in "sourced "*) return 0 ;; esac
  # ROS setup files read unset variables: source them without -u.
  local had_u=0
  case $- in *u*) had_u=1; set +u ;; esac
  # shellcheck disable=SC1090
  source "$GP_ROS_SETUP"
  [ $had_u = 0 ] || set -u
}

gp_source_ws() {
  [ -f "$GP_WS/install/setup.bash" ] || return 1
  local had_u=0
  case $- in *u*) had_u=1; set +u ;; esac
  # shellcheck disable=SC1091
  source "$GP_WS/install/setup.bash"
  [ $had_u = 0 ] || set -u
}

gp_isolate_dds() {
  # Jazzy replaced ROS_LOCALHOST_ONLY (still honoured, with a deprecation warning) by the discovery range.
  if [ "${ROS_DISTRO:-}" = humble ]; then export ROS_LOCALHOST_ONLY=1; else export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST; fi
  export ROS_DOMAIN_ID=${GP_ROS_DOMAIN_ID:-$((10 + $$ % 90))}
}
