export * from './generated/interfaces';
export * from './registry';
export * from './time';
