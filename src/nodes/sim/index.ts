import { registerNode } from '../registry';
import { startSimNode } from './node';

export * from './messages';
export * from './node';

registerNode('sim_node', {
  description:
    'bin-picking simulator: RGB-D camera topics, /tf_static, executes PushGraspAction, ~/reset, ~/status',
  start: startSimNode,
});
