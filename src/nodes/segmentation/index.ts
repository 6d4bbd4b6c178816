import { registerNode } from '../registry';
import { startSegmentation } from './node';

export * from './node';

registerNode('segmentation_node', {
  description: 'colour in; semantic class ids (mono8), a colour rendering and an overlay out',
  start: startSegmentation,
});
