import { type Time } from '../msg';

/** Base of every TF failure, as tf2::TransformException. */
export class TransformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}

/** A frame that was never set, or a tree with a loop (tf2::LookupException). */
export class LookupError extends TransformError {
  constructor(message: string) {
    super(message);
    this.name = 'LookupError';
  }
}

/** The two frames are in different trees (tf2::ConnectivityException). */
export class ConnectivityError extends TransformError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectivityError';
  }
}

/**
 * The query time is outside the data of a link on the path (tf2::ExtrapolationException and its
 * Backward / Forward / NoData subclasses, told apart here by `direction`).
 */
export class ExtrapolationError extends TransformError {
  constructor(
    message: string,
    readonly direction: 'past' | 'future' | 'no_data',
    /** The frame whose link to its parent lacked data. */
    readonly frame: string,
    readonly requested: Time,
    /** The earliest (past), latest (future) or only (no_data) stamp that link has. */
    readonly available: Time,
  ) {
    super(message);
    this.name = 'ExtrapolationError';
  }
}

/** An empty frame id passed to a query (tf2::InvalidArgumentException). */
export class InvalidArgumentError extends TransformError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/** Why setTransform refused a transform; the codes are tf2's log tags. */
export type InvalidTransformCode =
  | 'TF_SELF_TRANSFORM'
  | 'TF_NO_CHILD_FRAME_ID'
  | 'TF_NO_FRAME_ID'
  | 'TF_NAN_INPUT'
  | 'TF_DENORMALIZED_QUATERNION';

/** A malformed transform given to setTransform (tf2 logs these and returns false). */
export class InvalidTransformError extends TransformError {
  constructor(
    readonly code: InvalidTransformCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'InvalidTransformError';
  }
}
