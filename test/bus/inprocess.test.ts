import { InProcessBus, LogConfig, type LogRecord } from '../../src/bus';
import { busContract } from './contract';

const logs: LogRecord[] = [];
busContract(
  'in-process',
  async (argv = []) => new InProcessBus({ argv, logConfig: new LogConfig('info', (r) => logs.push(r)) }),
);

describe('in-process bus specifics', () => {
  it('logs errors from callbacks and incompatible QoS as ROS does', () => {
    expect(logs.some((r) => r.level === 'error' && r.message.includes('boom'))).toBe(true);
    expect(logs.some((r) => r.level === 'warn' && r.message.includes('incompatible QoS (RELIABILITY'))).toBe(
      true,
    );
  });
});
