import { fitPlane, normalizeVector, orientTowards, symmetricEigen3, vec3 } from '../../src/geometry';

test('symmetricEigen3 diagonalises a symmetric matrix', () => {
  const m = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5];
  const { values, vectors } = symmetricEigen3(m);
  for (let k = 0; k < 3; k++) {
    const v = [vectors[k], vectors[3 + k], vectors[6 + k]];
    for (let i = 0; i < 3; i++) {
      const mv = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
      expect(mv).toBeCloseTo(values[k] * v[i], 9);
    }
  }
  expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(12, 9);
});

test('fitPlane recovers a tilted plane; collinear or too few points give null', () => {
  const n = normalizeVector(vec3(1, 2, 3));
  const pts = [];
  for (let i = -3; i <= 3; i++) {
    for (let j = -3; j <= 3; j++) {
      // Two in-plane directions orthogonal to n.
      const a = normalizeVector(vec3(2, -1, 0));
      const b = vec3(n.y * a.z - n.z * a.y, n.z * a.x - n.x * a.z, n.x * a.y - n.y * a.x);
      pts.push(vec3(1 + i * a.x + j * b.x, 2 + i * a.y + j * b.y, 3 + i * a.z + j * b.z));
    }
  }
  const fit = fitPlane(pts)!;
  expect(Math.abs(fit.normal.x * n.x + fit.normal.y * n.y + fit.normal.z * n.z)).toBeCloseTo(1, 9);
  expect(fit.rms).toBeLessThan(1e-6);
  expect(fit.centroid.x).toBeCloseTo(1, 9);
  expect(fitPlane(pts.slice(0, 2))).toBeNull();
  expect(fitPlane([vec3(0, 0, 0), vec3(1, 1, 1), vec3(2, 2, 2), vec3(3, 3, 3)])).toBeNull();
});

test('orientTowards flips a normal to face the viewpoint', () => {
  expect(orientTowards(vec3(0, 0, 1), vec3(0, 0, 1))).toEqual(vec3(-0, -0, -1));
  expect(orientTowards(vec3(0, 0, -1), vec3(0, 0, 1))).toEqual(vec3(0, 0, -1));
});
