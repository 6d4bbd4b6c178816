export * from './buffer';
export * from './errors';
export * from './listener';
