// Importing a node's folder registers it with `grasp-perception run`.
import './camera-check';
import './sim';
import './perception';
import './segmentation';
import './policy';
import './executive';

export * from './registry';
export * from './diagnostics';
export * from './rgbd-input';
export * from './camera-check';
export * from './sim';
export * from './perception';
export * from './segmentation';
export * from './policy';
export * from './executive';
