import { registerNode } from '../registry';
import { startExecutive } from './node';

export * from './node';

registerNode('pick_executive_node', {
  description: 'closed loop: policy ~/decide -> executor action -> executor status, until the bin is clear',
  start: (bus, options) => startExecutive(bus, options),
});
