import { type Bus, type CreateNodeOptions, param, QOS_DEFAULT, qosProfile } from '../../bus';
import { ImageFormatError, validateColorImage } from '../../image';
import { type Image } from '../../msg';
import { blendLabels, coloredLabels, segment } from '../../perception/segmentation';
import { Diagnostics } from '../diagnostics';
import { modelParameters, openNodeModel } from '../model-loader';
import { LatestFrameWorker } from '../perception/latest-frame';
import { type RunningNode } from '../registry';
import { RGBD_TOPICS } from '../rgbd-input';

export const SEGMENTATION_PARAMETERS = {
  ...modelParameters('models/attendseg.json', 1),
  input_qos: param.string('sensor_data', 'QoS profile of the colour input', {
    choices: ['sensor_data', 'default', 'system_default'],
  }),
  overlay_alpha: param.double(0.5, 'Opacity of the class colours in ~/overlay', {
    range: { from: 0, to: 1 },
  }),
  diagnostics_period: param.double(1.0, 'Seconds between /diagnostics messages', {
    range: { from: 0.1, to: 10 },
  }),
};

const rgb8 = (like: Image, data: Uint8Array): Image => ({
  header: like.header,
  height: like.height,
  width: like.width,
  encoding: 'rgb8',
  is_bigendian: 0,
  step: like.width * 3,
  data,
});

/**
 * segmentation_node: colour image in; per-pixel class ids (mono8, the manifest's classes), a colour
 * rendering and an overlay out. Newest frame wins while the model is busy; faults are WARNs.
 */
export async function startSegmentation(bus: Bus, options: CreateNodeOptions): Promise<RunningNode> {
  const node = bus.createNode('segmentation_node', options);
  const p = node.declareParameters(SEGMENTATION_PARAMETERS);
  const session = await openNodeModel(node, p, 'segmentation');
  const s = session;
  const classes = s.manifest.classes.map((c) => `${c.id}=${c.name}`).join(', ');
  const pubs = {
    labels: node.createPublisher('sensor_msgs/msg/Image', '~/labels', QOS_DEFAULT),
    colored: node.createPublisher('sensor_msgs/msg/Image', '~/colored', QOS_DEFAULT),
    overlay: node.createPublisher('sensor_msgs/msg/Image', '~/overlay', QOS_DEFAULT),
  };
  const diagnostics = new Diagnostics(node, 'grasp_perception', p.diagnostics_period);
  let processed = 0;
  let faults = 0;
  const started = Date.now();
  const status = (extra: Record<string, string | number> = {}) => ({
    model: s.manifest.name,
    'execution provider': s.provider,
    classes,
    'frames processed': processed,
    'frames dropped (model busy)': worker.dropped,
    'input faults': faults,
    'rate (Hz)': (processed / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(2),
    ...extra,
  });
  const worker = new LatestFrameWorker<Image>(
    async (img) => {
      const t0 = Date.now();
      const out = await segment(s, img, (line) => node.logger.warn(line));
      pubs.labels.publish({ ...rgb8(img, out.labels), encoding: 'mono8', step: img.width });
      pubs.colored.publish(rgb8(img, coloredLabels(out.labels)));
      pubs.overlay.publish(rgb8(img, blendLabels(img, out.labels, p.overlay_alpha)));
      processed++;
      diagnostics.report('model', {
        level: 'ok',
        message: 'segmenting',
        values: status({
          'latency (ms)': (Date.now() - t0).toFixed(1),
          ...Object.fromEntries(Object.entries(out.times).map(([k, v]) => [k, v.toFixed(2)])),
        }),
      });
    },
    (err) => {
      faults++;
      diagnostics.report('model', {
        level: 'error',
        message: `inference failed: ${err.message}`,
        values: status(),
      });
    },
  );
  const sub = node.createSubscription(
    'sensor_msgs/msg/Image',
    RGBD_TOPICS.color,
    qosProfile(p.input_qos),
    (img) => {
      try {
        validateColorImage(img);
      } catch (err) {
        if (!(err instanceof ImageFormatError)) throw err;
        faults++;
        node.logger.throttle('warn', err.code, 5, `color: ${err.message}`);
        diagnostics.report('color input', {
          level: 'warn',
          message: `color: ${err.message}`,
          values: { 'fault code': err.code, 'input faults': faults },
        });
        return;
      }
      worker.push(img);
    },
  );
  diagnostics.report('model', {
    level: 'ok',
    message: `${s.manifest.name} loaded on ${s.provider}; waiting for images`,
    values: status(),
  });
  return {
    node,
    diagnostics,
    idle: () => worker.drain(),
    stop: async () => {
      diagnostics.stop();
      sub.destroy();
      await worker.drain();
      await s.release();
      node.destroy();
    },
  };
}
