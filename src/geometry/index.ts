// Rigid-transform math on geometry_msgs-shaped plain objects ({x,y,z}, {x,y,z,w}). Hand-written
// because the maintained npm libraries (gl-matrix, @math.gl/core, three) use their own array or
// class types, so every call would convert to and from ROS message shapes.

export * from './quaternion';
export * from './transform';
export * from './vector';
export * from './plane';
export * from './support-plane';
