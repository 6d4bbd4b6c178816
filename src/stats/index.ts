export { percentile } from './percentile';
