"""The bin-picking cell in Gazebo Harmonic: gz sim with worlds/bin_picking.sdf, ros_gz_bridge for the
overhead RGB-D camera and /clock, the camera's static TF, a few spawned objects, and perception_node
(and segmentation_node) on simulated time.

ros2 launch grasp_perception gazebo.launch.py objects:=8 seed:=3 gz_args:='-s --headless-rendering'

Needs ros_gz_sim, ros_gz_bridge and tf2_ros (docs/gazebo.md); they are looked up only when the launch
runs, so `--show-args` works without them. Validated without Gazebo only (docs/gazebo.md says how far).

Topics: the sensor's gz topics <topic>/image (rgb8), <topic>/depth_image (32FC1, metres) and
<topic>/camera_info are bridged onto <camera_namespace>/color/image_raw, aligned_depth/image_raw and
color/camera_info, the names our nodes read (Gazebo renders depth from the colour camera's pose, so it is
aligned by construction). Frames: the sensor's <gz_frame_id> names the optical frame in every header, so
no republisher copies images; static TF world -> <camera link> (the SDF pose, x forward) ->
<gz_frame_id> (z forward, x right, y down).

`python3 launch/gazebo.launch.py [WORLD]` prints the camera frames and transforms this launch would
publish, as JSON (no ROS needed: the tests compare them with SDFormat and the simulator).
"""

import json
import math
import os
import random
import sys
import xml.etree.ElementTree as ET

SHARE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WORLD = os.path.join(SHARE, 'worlds', 'bin_picking.sdf')
MODELS = os.path.join(SHARE, 'worlds', 'models')
OBJECT_FAMILIES = ('box', 'cylinder', 'sphere', 'capsule', 'l_block')
CAMERA_MODEL = 'overhead_camera'
WORLD_FRAME = 'world'
# Gazebo's camera frame (x forward, y left, z up) -> ROS optical frame (z forward, x right, y down).
LINK_TO_OPTICAL_XYZW = (-0.5, 0.5, -0.5, 0.5)
# (package, executable) of the third-party nodes; their packages are what the launch requires.
BRIDGE = ('ros_gz_bridge', 'parameter_bridge')
SPAWNER = ('ros_gz_sim', 'create')
STATIC_TF = ('tf2_ros', 'static_transform_publisher')
GAZEBO_PACKAGES = tuple(dict.fromkeys(p for p, _ in (SPAWNER, BRIDGE, STATIC_TF)))
INSTALL_HINT = 'sudo apt install ros-jazzy-ros-gz ros-jazzy-tf2-ros (Gazebo Harmonic; see docs/gazebo.md)'


def _quat_from_rpy(roll, pitch, yaw):
    """SDF and tf2 RPY: fixed axes x, then y, then z (R = Rz(yaw) Ry(pitch) Rx(roll)); returns xyzw."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy)


def _quat_mul(a, b):
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz)


def _rotate(q, v):
    p = _quat_mul(_quat_mul(q, (v[0], v[1], v[2], 0.0)), (-q[0], -q[1], -q[2], q[3]))
    return p[:3]


def _pose(element, where):
    """(translation, xyzw) of an element's <pose>; identity when absent. Only plain parent-relative poses."""
    pose = element.find('pose')
    if pose is None:
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0)
    if pose.get('relative_to') or pose.get('degrees') or pose.get('rotation_format'):
        raise ValueError(f'{where}: <pose> attributes are not supported here; give x y z roll pitch yaw')
    values = [float(v) for v in (pose.text or '').split()]
    if len(values) != 6:
        raise ValueError(f'{where}: <pose> needs 6 numbers, got {pose.text!r}')
    return tuple(values[:3]), _quat_from_rpy(*values[3:])


def _compose(a, b):
    (ta, qa), (tb, qb) = a, b
    rb = _rotate(qa, tb)
    return (ta[0] + rb[0], ta[1] + rb[1], ta[2] + rb[2]), _quat_mul(qa, qb)


def _transform(parent, child, pose):
    return {'frame_id': parent, 'child_frame_id': child, 'translation': list(pose[0]),
            'rotation_xyzw': list(pose[1])}


def camera_frames(world_path):
    """The camera's frames, gz topic and static transforms, read from the world file."""
    try:
        world = ET.parse(world_path).getroot().find('world')
    except (OSError, ET.ParseError) as err:
        raise ValueError(f'{world_path}: cannot read the world: {err}') from err
    model = world.find(f"model[@name='{CAMERA_MODEL}']") if world is not None else None
    sensor = model.find("link/sensor[@type='rgbd_camera']") if model is not None else None
    if sensor is None:
        raise ValueError(f"{world_path}: no rgbd_camera sensor in a model named '{CAMERA_MODEL}'")
    link = model.find("link[sensor]")
    optical = (sensor.findtext('gz_frame_id') or '').strip()
    topic = (sensor.findtext('topic') or '').strip()
    if not optical or not topic:
        raise ValueError(f'{world_path}: the camera sensor needs <gz_frame_id> and <topic>')
    where = f'{world_path}: {CAMERA_MODEL}'

    def number(path):
        try:
            return float(sensor.findtext(path))
        except (TypeError, ValueError):
            raise ValueError(f'{where}: the camera sensor needs a number in <{path}>') from None

    world_from_sensor = _compose(_compose(_pose(model, where), _pose(link, where)), _pose(sensor, where))
    return {
        'world_frame': WORLD_FRAME,
        'camera_frame': link.get('name'),
        'optical_frame': optical,
        'gz_topic': topic.lstrip('/'),
        'world_name': world.get('name'),
        'camera': {'width': int(number('camera/image/width')), 'height': int(number('camera/image/height')),
                   'horizontal_fov': number('camera/horizontal_fov'),
                   'depth_near': number('camera/depth_camera/clip/near'),
                   'depth_far': number('camera/depth_camera/clip/far')},
        'transforms': [
            _transform(WORLD_FRAME, link.get('name'), world_from_sensor),
            _transform(link.get('name'), optical, ((0.0, 0.0, 0.0), LINK_TO_OPTICAL_XYZW)),
        ],
    }


def _require_gazebo_packages():
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    missing = []
    for package in GAZEBO_PACKAGES:
        try:
            get_package_share_directory(package)
        except PackageNotFoundError:
            missing.append(package)
    if missing:
        raise RuntimeError(f"gazebo.launch.py: ROS 2 package(s) {', '.join(missing)} not found; "
                           f'install them: {INSTALL_HINT}')


def _static_tf(transform):
    from launch_ros.actions import Node
    values = zip(('--x', '--y', '--z', '--qx', '--qy', '--qz', '--qw'),
                 transform['translation'] + transform['rotation_xyzw'])
    args = [item for flag, value in values for item in (flag, f'{value:.9g}')]
    args += ['--frame-id', transform['frame_id'], '--child-frame-id', transform['child_frame_id']]
    return Node(package=STATIC_TF[0], executable=STATIC_TF[1], name='tf_' + transform['child_frame_id'],
                arguments=args, parameters=[{'use_sim_time': True}], output='log')


def _spawned_objects(world_name, count, seed):
    """`count` objects of the sim's families dropped into the bin one above the other (seeded)."""
    from launch_ros.actions import Node
    rng = random.Random(seed)
    spawners = []
    for i in range(count):
        family = rng.choice(OBJECT_FAMILIES)
        x, y = rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15)
        roll, pitch, yaw = (rng.uniform(-math.pi, math.pi) for _ in range(3))
        spawners.append(Node(
            package=SPAWNER[0], executable=SPAWNER[1], output='log',
            # -flag=value, so that gflags (create's parser) never reads a negative value as a flag.
            arguments=['-world', world_name, '-file', os.path.join(MODELS, family, 'model.sdf'),
                       '-name', f'{family}_{i + 1}', f'-x={x:.4f}', f'-y={y:.4f}', f'-z={0.15 + 0.08 * i:.3f}',
                       f'-R={roll:.4f}', f'-P={pitch:.4f}', f'-Y={yaw:.4f}']))
    return spawners


def _gazebo_actions(context):
    from launch.actions import IncludeLaunchDescription
    from launch.conditions import IfCondition
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node
    from ament_index_python.packages import get_package_share_directory

    _require_gazebo_packages()
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    world = os.path.abspath(arg('world'))
    frames = camera_frames(world)
    ns = arg('camera_namespace').rstrip('/')
    gz = '/' + frames['gz_topic']
    gz_sim = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
        launch_arguments={'gz_args': ' '.join(a for a in ('-r', arg('gz_args'), world) if a),
                          'on_exit_shutdown': 'true'}.items())
    # gz topic -> (ROS message type, gz type, the name our nodes read under the camera namespace).
    bridged = [
        (gz + '/image', 'sensor_msgs/msg/Image', 'gz.msgs.Image', ns + '/color/image_raw'),
        (gz + '/depth_image', 'sensor_msgs/msg/Image', 'gz.msgs.Image', ns + '/aligned_depth/image_raw'),
        (gz + '/camera_info', 'sensor_msgs/msg/CameraInfo', 'gz.msgs.CameraInfo', ns + '/color/camera_info'),
        ('/clock', 'rosgraph_msgs/msg/Clock', 'gz.msgs.Clock', '/clock'),
    ]
    bridge = Node(package=BRIDGE[0], executable=BRIDGE[1], name='gz_camera_bridge',
                  arguments=[f'{topic}@{ros}[{gz_type}' for topic, ros, gz_type, _ in bridged],
                  remappings=[(topic, ros_name) for topic, _, _, ros_name in bridged if topic != ros_name],
                  parameters=[{'use_sim_time': True}], output='screen')
    node_params = {'use_sim_time': True}
    perception = Node(package='grasp_perception', executable='perception_node', name='perception_node',
                      namespace=ns, output='screen',
                      parameters=[arg('perception_params_file'),
                                  {**node_params, 'grasp_frame_id': arg('grasp_frame_id')}])
    segmentation = Node(package='grasp_perception', executable='segmentation_node', name='segmentation_node',
                        namespace=ns, output='screen', condition=IfCondition(arg('segmentation')),
                        parameters=[arg('segmentation_params_file'), node_params])
    objects, seed = arg('objects'), arg('seed')
    if not objects.isdigit() or int(objects) > 40 or not seed.lstrip('-').isdigit():
        raise ValueError(f"gazebo.launch.py: objects must be an integer 0-40 and seed an integer, "
                         f"got objects:={objects} seed:={seed}")
    return ([gz_sim, bridge] + [_static_tf(t) for t in frames['transforms']]
            + _spawned_objects(frames['world_name'], int(objects), int(seed))
            + [perception, segmentation])


def generate_launch_description():
    # launch imports live here (and in the helpers) so that plain Python can run this file for the
    # camera frames (see the module docstring).
    from launch import LaunchDescription
    from launch.actions import AppendEnvironmentVariable, DeclareLaunchArgument, OpaqueFunction

    config = lambda name: os.path.join(SHARE, 'config', name)  # noqa: E731
    args = [
        DeclareLaunchArgument('world', default_value=DEFAULT_WORLD, description='SDF world (SDF 1.9)'),
        DeclareLaunchArgument('camera_namespace', default_value='/camera',
                              description='namespace of the bridged camera topics and of our nodes'),
        DeclareLaunchArgument('grasp_frame_id', default_value=WORLD_FRAME,
                              description="frame of the published grasps ('' = the camera's optical frame)"),
        DeclareLaunchArgument('objects', default_value='6',
                              description='objects to spawn into the bin (0-40), families of src/sim'),
        DeclareLaunchArgument('seed', default_value='1', description='seed of the spawned families and poses'),
        DeclareLaunchArgument('gz_args', default_value='',
                              description="extra gz sim arguments, e.g. '-s --headless-rendering'"),
        DeclareLaunchArgument('perception_params_file', default_value=config('perception.yaml')),
        DeclareLaunchArgument('segmentation_params_file', default_value=config('segmentation.yaml')),
        DeclareLaunchArgument('segmentation', default_value='true', description='also run segmentation_node'),
    ]
    return LaunchDescription(args + [
        AppendEnvironmentVariable('GZ_SIM_RESOURCE_PATH', MODELS),
        OpaqueFunction(function=_gazebo_actions),
    ])


if __name__ == '__main__':
    try:
        print(json.dumps(camera_frames(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WORLD)))
    except ValueError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
