import { LatestFrameWorker } from '../../src/nodes/perception/latest-frame';

test('newest item wins while busy; the rest are dropped and counted', async () => {
  const done: number[] = [];
  let release: () => void = () => undefined;
  const worker = new LatestFrameWorker<number>(
    (n) =>
      new Promise<void>((resolve) => {
        release = () => {
          done.push(n);
          resolve();
        };
      }),
    () => undefined,
  );
  worker.push(1);
  for (const n of [2, 3, 4, 5]) worker.push(n);
  release(); // 1 finishes; 5 (the newest) starts
  await new Promise((r) => setImmediate(r));
  release();
  await worker.drain();
  expect(done).toEqual([1, 5]);
  expect(worker.dropped).toBe(3);
});

test('a failing item is reported and the worker keeps going', async () => {
  const errors: string[] = [];
  const seen: number[] = [];
  const worker = new LatestFrameWorker<number>(
    async (n) => {
      if (n === 1) throw new Error('boom');
      seen.push(n);
    },
    (e) => errors.push(e.message),
  );
  worker.push(1);
  worker.push(2);
  await worker.drain();
  expect(errors).toEqual(['boom']);
  expect(seen).toEqual([2]);
});
