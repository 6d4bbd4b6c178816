import { registerNode } from '../registry';
import { startPolicy } from './node';

export * from './node';

registerNode('policy_node', {
  description: 'RGB-D (+ suction heatmap) in; heightmap, push-and-grasp Q maps, PushGraspAction out',
  start: startPolicy,
});
