export * from './approximate-time';
export * from './rgbd';
