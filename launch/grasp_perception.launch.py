"""Perception (and optionally segmentation) on an RGB-D camera's topics.

ros2 launch grasp_perception grasp_perception.launch.py camera_namespace:=/camera/camera \
    depth_topic:=aligned_depth_to_color/image_raw perception_params_file:=/path/perception.yaml
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    share = get_package_share_directory('grasp_perception')
    config = lambda name: os.path.join(share, 'config', name)  # noqa: E731
    args = [
        DeclareLaunchArgument('camera_namespace', default_value='/camera/camera',
                              description='namespace of the camera driver topics'),
        DeclareLaunchArgument('color_topic', default_value='color/image_raw'),
        DeclareLaunchArgument('depth_topic', default_value='aligned_depth_to_color/image_raw'),
        DeclareLaunchArgument('info_topic', default_value='color/camera_info'),
        DeclareLaunchArgument('perception_params_file', default_value=config('perception.yaml')),
        DeclareLaunchArgument('segmentation_params_file', default_value=config('segmentation.yaml')),
        DeclareLaunchArgument('segmentation', default_value='true', description='also run segmentation_node'),
        DeclareLaunchArgument('use_sim_time', default_value='false'),
    ]
    remaps = [
        ('color/image_raw', LaunchConfiguration('color_topic')),
        ('aligned_depth/image_raw', LaunchConfiguration('depth_topic')),
        ('color/camera_info', LaunchConfiguration('info_topic')),
    ]
    sim_time = {'use_sim_time': LaunchConfiguration('use_sim_time')}
    perception = Node(
        package='grasp_perception',
        executable='perception_node',
        name='perception_node',
        namespace=LaunchConfiguration('camera_namespace'),
        parameters=[LaunchConfiguration('perception_params_file'), sim_time],
        remappings=remaps,
        output='screen',
    )
    segmentation = Node(
        package='grasp_perception',
        executable='segmentation_node',
        name='segmentation_node',
        namespace=LaunchConfiguration('camera_namespace'),
        parameters=[LaunchConfiguration('segmentation_params_file'), sim_time],
        remappings=remaps[:1],
        condition=IfCondition(LaunchConfiguration('segmentation')),
        output='screen',
    )
    return LaunchDescription(args + [perception, segmentation])
