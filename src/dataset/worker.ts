// Dataset worker process (forked by writeDataset for --workers > 1): renders and writes the scenes
// the parent sends, one at a time, and answers each with its image record and annotations.
import { type Cell, loadCell } from '../sim';
import { renderScene, type RenderSettings, type SceneJob } from './writer';

if (process.send) {
  const settings = JSON.parse(process.argv[2]) as RenderSettings;
  const cell: Cell | null = settings.cell ? loadCell(settings.cell) : null;
  const reply = (m: unknown): void => void process.send?.(m);
  process.on('message', (job: SceneJob) => {
    renderScene(settings, cell, job).then(reply, (err: Error) =>
      reply({ error: `scene ${job.index} (seed ${job.seed}): ${err.message}` }),
    );
  });
  // The parent going away ends the worker.
  process.on('disconnect', () => process.exit(0));
}
