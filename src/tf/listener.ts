import { type BusNode, QOS_TRANSIENT_LOCAL, qos, type Subscription } from '../bus';
import { type TransformStamped } from '../msg';
import { TfBuffer } from './buffer';

/** /tf_static is transient-local with a deep history, so late joiners get every static frame. */
export const QOS_TF_STATIC = { ...QOS_TRANSIENT_LOCAL, depth: 100 };
export const QOS_TF = qos({ depth: 100 });

/** Fills a TfBuffer from /tf and /tf_static, as tf2_ros::TransformListener does. */
export class TfListener {
  readonly buffer: TfBuffer;
  private readonly subs: Subscription[];

  constructor(node: BusNode, buffer = new TfBuffer()) {
    this.buffer = buffer;
    const ingest = (isStatic: boolean) => (msg: { transforms: TransformStamped[] }) => {
      // tf2 logs and skips bad transforms; tf2_ros cannot tell the publisher either.
      const { invalid } = this.buffer.ingestTfMessage(msg, isStatic, 'Authority undetectable');
      for (const err of invalid) node.logger.throttle('warn', `tf:${err.code}`, 5, err.message);
    };
    this.subs = [
      node.createSubscription('tf2_msgs/msg/TFMessage', '/tf', QOS_TF, ingest(false)),
      node.createSubscription('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TF_STATIC, ingest(true)),
    ];
  }

  destroy(): void {
    for (const s of this.subs) s.destroy();
  }
}

/** Publishes transforms on /tf_static (latched), as tf2_ros::StaticTransformBroadcaster does. */
export class StaticTransformBroadcaster {
  private readonly pub;
  private readonly transforms = new Map<string, TransformStamped>();

  constructor(node: BusNode) {
    this.pub = node.createPublisher('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TF_STATIC);
  }

  /** Adds or replaces transforms (by child frame) and republishes the whole set. */
  send(...transforms: TransformStamped[]): void {
    for (const t of transforms) this.transforms.set(t.child_frame_id, t);
    this.pub.publish({ transforms: [...this.transforms.values()] });
  }
}
