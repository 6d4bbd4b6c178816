export * from './format';
export * from './rle';
export * from './writer';
export * from './reader';
