// Bin-picking simulator core: rapier physics, exact ray-cast RGB-D rendering, ground truth
// (instances, amodal masks, occlusion, centre of mass, semantics, suction heatmap), suction and
// push actions, and scenario files. Pure TypeScript on plain data; see docs/simulator.md.
export { type Camera, type CameraConfig, type CameraIntrinsics, type LookAt } from './camera';
export {
  createCamera,
  DEFAULT_FOCAL_640,
  DEFAULT_LOOK_AT,
  deprojectPixel,
  pixelDirection,
  projectPoint,
} from './camera';
export { type FrameOptions, renderDepth, renderFrame, type SimFrame } from './frame';
export { type ObjectLabel, type PixelBox } from './labels';
export { type Mat3, type Pose, type Quat, type RigidTransform, type Vec3 } from './math';
export { quatFromRpy } from './math';
export { DEFAULT_PHYSICS, initPhysics, type PhysicsOptions } from './physics';
export { deriveSeed, Rng } from './random';
export { DEFAULT_REALISM, type RealismOptions } from './realism';
export { type CroppedMask } from './render';
export {
  type Appearance,
  binBoxes,
  type BinHandles,
  binHalf,
  type BinSpec,
  type ClutterOptions,
  DEFAULT_BIN,
  DEFAULT_HANDLES,
  DEFAULT_LIGHTING,
  emptyScene,
  generateClutter,
  handleAxis,
  type Lighting,
  makeObject,
  MAX_OBJECT_SIZE,
  MAX_OBJECTS,
  MIN_OBJECT_SIZE,
  type Rgb,
  type Scene,
  type SceneObject,
  TEXTURE_PATTERNS,
  type TexturePattern,
} from './scene';
export {
  listScenarios,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  scenarioScene,
} from './scenario';
export {
  BACKGROUND_CLASS,
  BIN_CLASS,
  classIdOf,
  classIdOfShape,
  DISTRACTOR_CLASS,
  isObjectClass,
  type MeshFamily,
  type MeshShape,
  OBJECT_FAMILIES,
  type ObjectFamily,
  type PrimitiveShape,
  SEMANTIC_CLASSES,
  type Shape,
  type ShapeKind,
  SHAPE_KINDS,
  SUPPORT_CLASS,
} from './shapes';
export { randomFamilyShape } from './families';
export { loadMeshShape, type MeshLoadOptions } from './mesh';
export { createTriangleMesh, MeshError, type TriangleMesh } from './mesh-geometry';
export { shapeVolume } from './shapes';
export {
  type ActionReport,
  BinPickingSim,
  countDepthChanges,
  type GraspOutcome,
  type GraspReport,
  type PushReport,
  sceneChangeThreshold,
  type SimOptions,
} from './sim';
export { DEFAULT_SEAL_MODEL, type SealFailure, type SealModel, sealScoreAt } from './suction';
export { contactSheet } from './contact-sheet';
export { BIN_COLORS, type Cell, CellError, DEFAULT_CELL, loadCell, parseCell } from './cell';
export { type CellSample, defaultCameraConfig, sampleCellScene } from './cell-scene';
export { executeAction } from './execute';
