import { registerNode } from '../registry';
import { startCameraCheck } from './node';

export * from './node';

registerNode('camera_check_node', {
  description: 'checks RGB-D camera topics: sync, decoding, depth validity and intrinsics on /diagnostics',
  start: startCameraCheck,
});
