export * from './approximate-time';
export * from './rgbd';
export * from './stamp-guard';
