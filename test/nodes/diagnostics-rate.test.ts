// /diagnostics goes out at its period; a status is republished early only when its level or its fault
// code changes, not when a number in its text does (issue 12: a WARN carrying a live percentage flooded it).
import { InProcessBus, QOS_DEFAULT } from '../../src/bus';
import { type DiagnosticArray } from '../../src/msg';
import { Diagnostics } from '../../src/nodes/diagnostics';

describe('Diagnostics publishing rate', () => {
  let bus: InProcessBus;
  let diagnostics: Diagnostics;
  afterEach(async () => {
    diagnostics?.stop();
    await bus?.shutdown();
  });

  it('republishes early on a level or fault-code change only', async () => {
    bus = new InProcessBus();
    const node = bus.createNode('reporter');
    const received: DiagnosticArray[] = [];
    bus
      .createNode('listener')
      .createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT, (m) => {
        received.push(m);
      });
    // A period far longer than the test: every message seen here is an early republication.
    diagnostics = new Diagnostics(node, 'hw', 100);
    const warn = (code: string, percent: number) =>
      diagnostics.report('rgbd input', {
        level: 'warn',
        message: `depth: only ${percent.toFixed(1)} % of depth pixels are valid`,
        values: { 'fault code': code, 'valid (%)': percent },
      });
    diagnostics.report('rgbd input', { level: 'ok', message: 'synchronised RGB-D frames', values: {} });
    await bus.settle();
    expect(received).toHaveLength(1); // first report: a level change from nothing
    for (let i = 0; i < 50; i++) warn('DEPTH_MOSTLY_INVALID', 30 + i * 0.37);
    await bus.settle();
    expect(received).toHaveLength(2); // ok -> warn once; 49 new numbers, no new messages
    warn('DEPTH_OUT_OF_RANGE', 12);
    warn('DEPTH_OUT_OF_RANGE', 13);
    await bus.settle();
    expect(received).toHaveLength(3); // a new fault code is news
    diagnostics.report('rgbd input', { level: 'ok', message: 'synchronised RGB-D frames', values: { n: 1 } });
    diagnostics.report('rgbd input', { level: 'ok', message: 'synchronised RGB-D frames', values: { n: 2 } });
    await bus.settle();
    expect(received).toHaveLength(4);
    // The latest numbers still go out with the next publication.
    diagnostics.publish();
    await bus.settle();
    expect(received[4].status[0].values).toEqual([{ key: 'n', value: '2' }]);
  });
});
