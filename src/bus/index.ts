export * from './types';
export * from './qos';
export * from './names';
export * from './parameters';
export * from './logging';
export * from './ros-args';
export * from './clock';
export { InProcessBus } from './inprocess';
export { createBus, type BusChoice } from './select';
