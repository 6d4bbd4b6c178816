/**
 * Image I/O: sensor_msgs/Image ↔ OpenCV Mat and network tensors, REP 118 depth, PNG/JPEG and
 * CompressedImage codecs, and validated pinhole models from CameraInfo. Every malformed input
 * throws an ImageFormatError (or subclass) whose `code` names the fault.
 */
export * from './errors';
export * from './encodings';
export * from './mat';
export * from './tensor';
export * from './depth';
export * from './compressed';
export * from './camera';
export { cv, withCv, type Cv, type Mat } from './opencv';
export * from './calibration-yaml';
