"""The closed loop as separate ROS 2 processes: the simulator (camera + executor), perception,
segmentation, the push-and-grasp policy and the pick executive, which asks the policy for an action,
sends it to the simulator and repeats until the bin is clear (`grasp-perception demo` runs the same
nodes on the in-process bus and writes the report).

ros2 launch grasp_perception demo.launch.py seed:=3 objects:=12 policy_model:=models/policy_reduced_ptq.json
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
        DeclareLaunchArgument('policy_model', default_value='models/policy_reduced_qat.json',
                              description='policy manifest (int8 QAT by default)'),
        DeclareLaunchArgument('max_actions', default_value='0', description='0 = 5 per object'),
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
    policy = Node(package='grasp_perception', executable='policy_node', name='policy_node', namespace=ns,
                  parameters=[config('policy.yaml'), {'model_file_path': LaunchConfiguration('policy_model')}],
                  remappings=[('~/suction_heatmap', ns + '/perception_node/suction_heatmap'),
                              ('~/executor_status', ns + '/sim_node/status')], output='screen')
    executive = Node(package='grasp_perception', executable='pick_executive_node', name='pick_executive_node',
                     namespace=ns,
                     parameters=[config('pick_executive.yaml'), {'max_actions': LaunchConfiguration('max_actions')}],
                     remappings=[('decide', ns + '/policy_node/decide'), ('action', ns + '/sim_node/action'),
                                 ('status', ns + '/sim_node/status')], output='screen')
    return LaunchDescription(args + [sim, perception, segmentation, policy, executive])
