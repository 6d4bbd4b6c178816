// symmetricEigen3InPlace (no allocation, for the seal scores' hot loop) gives bit-for-bit the eigenvalues and
// eigenvectors of the array-based cyclic Jacobi it replaced, on random and degenerate symmetric matrices.
import { symmetricEigen3, symmetricEigen3InPlace } from '../../src/geometry';

/** The array-based cyclic Jacobi sweep, as it was. */
function arrayJacobi(m: readonly number[]): { values: number[]; vectors: number[] } {
  const a = [...m];
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-30) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      const apq = a[3 * p + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p];
        const akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k];
        const aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p];
        const vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0], a[4], a[8]], vectors: v };
}

test('the in-place Jacobi equals the array-based one exactly, reusing its buffers', () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  const a = new Float64Array(9);
  const v = new Float64Array(9);
  const matrices: number[][] = [
    [1, 0, 0, 0, 1, 0, 0, 0, 1],
    [2, 0, 0, 0, 2, 0, 0, 0, 5],
    [1e-8, 1e-9, 0, 1e-9, 2e-8, 3e-9, 0, 3e-9, 1e-12],
  ];
  for (let k = 0; k < 200; k++) {
    const [p, q, r, s, t, u] = Array.from({ length: 6 }, random);
    // Disc-scatter-like scales (metres squared) and unit scales.
    const scale = k % 2 ? 1e-5 : 1;
    matrices.push([p, q, r, q, s, t, r, t, u].map((x) => x * scale));
  }
  for (const m of matrices) {
    const expected = arrayJacobi(m);
    a.set(m);
    v.fill(7);
    symmetricEigen3InPlace(a, v);
    expect([a[0], a[4], a[8]]).toEqual(expected.values);
    expect(Array.from(v)).toEqual(expected.vectors);
    expect(symmetricEigen3(m)).toEqual(expected);
  }
});
