"""The simulator with the perception and segmentation nodes, as separate ROS 2 processes.

ros2 launch grasp_perception demo.launch.py seed:=3 objects:=12
(The closed-loop push-or-grasp policy joins this launch file with issue 6.)
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    share = get_package_share_directory('grasp_perception')
    config = lambda name: os.path.join(share, 'config', name)  # noqa: E731
    args = [
        DeclareLaunchArgument('seed', default_value='1'),
        DeclareLaunchArgument('objects', default_value='10'),
        DeclareLaunchArgument('rate', default_value='5.0', description='simulated camera rate, Hz'),
    ]
    ns = '/camera'
    sim = Node(
        package='grasp_perception',
        executable='sim_node',
        name='sim_node',
        namespace=ns,
        parameters=[config('sim.yaml'), {'seed': LaunchConfiguration('seed'),
                                         'objects': LaunchConfiguration('objects'),
                                         'rate': LaunchConfiguration('rate')}],
        output='screen',
    )
    perception = Node(package='grasp_perception', executable='perception_node', name='perception_node',
                      namespace=ns, parameters=[config('perception.yaml')], output='screen')
    segmentation = Node(package='grasp_perception', executable='segmentation_node', name='segmentation_node',
                        namespace=ns, parameters=[config('segmentation.yaml')], output='screen')
    return LaunchDescription(args + [sim, perception, segmentation])
