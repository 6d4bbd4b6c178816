export { percentile } from './percentile';
export { wilsonInterval } from './wilson';
