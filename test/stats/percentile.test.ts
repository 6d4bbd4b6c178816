import { percentile } from '../../src/stats';

describe('percentile', () => {
  test('agrees with np.percentile to the bit', () => {
    // Values printed by numpy 1.24 (repr of np.percentile(values, p)).
    expect(percentile([1, 2, 3, 4], 90)).toBe(3.7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([2, 9], 100)).toBe(9);
    expect(percentile([3, 1, 2, 10, 7], 33)).toBe(2.3200000000000003);
    expect(percentile([0.1, 0.7, 0.2], 10)).toBe(0.12000000000000001);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(9.91);
    expect(percentile([10, 0], 12.5)).toBe(1.25);
    expect(percentile([5], 50)).toBe(5);
  });

  test('leaves its input alone; NaN in, NaN out; errors on no values or p outside [0, 100]', () => {
    const v = [3, 1, 2];
    expect(percentile(v, 50)).toBe(2);
    expect(v).toEqual([3, 1, 2]);
    expect(percentile([1, NaN, 3], 50)).toBeNaN();
    expect(() => percentile([], 50)).toThrow(/no values/);
    expect(() => percentile([1], 101)).toThrow(/101/);
    expect(() => percentile([1], -1)).toThrow(/-1/);
  });
});
