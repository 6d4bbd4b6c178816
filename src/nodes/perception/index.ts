import { registerNode } from '../registry';
import { startPerception } from './node';

export * from './node';
export * from './latest-frame';

registerNode('perception_node', {
  description: 'RGB-D in; suction grasps, instances (visible/amodal masks, occlusion), heatmaps out',
  start: startPerception,
});
