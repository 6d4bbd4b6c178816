"""Checks an RGB-D camera's topics: sync, decoding, depth validity and intrinsics on /diagnostics.

ros2 launch grasp_perception camera_check.launch.py camera_namespace:=/camera/camera \
    depth_topic:=aligned_depth_to_color/image_raw
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    share = get_package_share_directory('grasp_perception')
    args = [
        DeclareLaunchArgument('camera_namespace', default_value='/camera/camera',
                              description='namespace of the camera driver topics'),
        DeclareLaunchArgument('color_topic', default_value='color/image_raw'),
        DeclareLaunchArgument('depth_topic', default_value='aligned_depth_to_color/image_raw'),
        DeclareLaunchArgument('info_topic', default_value='color/camera_info'),
        DeclareLaunchArgument('params_file', default_value=os.path.join(share, 'config', 'camera_check.yaml')),
        DeclareLaunchArgument('use_sim_time', default_value='false'),
    ]
    node = Node(
        package='grasp_perception',
        executable='camera_check_node',
        name='camera_check_node',
        namespace=LaunchConfiguration('camera_namespace'),
        parameters=[LaunchConfiguration('params_file'), {'use_sim_time': LaunchConfiguration('use_sim_time')}],
        remappings=[
            ('color/image_raw', LaunchConfiguration('color_topic')),
            ('aligned_depth/image_raw', LaunchConfiguration('depth_topic')),
            ('color/camera_info', LaunchConfiguration('info_topic')),
        ],
        output='screen',
    )
    return LaunchDescription(args + [node])
