import { wilsonInterval } from '../../src/stats';

test('Wilson 95 % intervals: textbook values, inside [0, 1] at 0 and n successes, narrower with more trials', () => {
  const r = (ci: [number, number]) => ci.map((v) => +v.toFixed(3));
  // Issue 17's figure: 22 of 30 episodes is 56–86 %.
  expect(r(wilsonInterval(22, 30))).toEqual([0.556, 0.858]);
  expect(r(wilsonInterval(8, 10))).toEqual([0.49, 0.943]);
  expect(wilsonInterval(0, 10)[0]).toBeCloseTo(0, 12);
  expect(wilsonInterval(10, 10)[1]).toBeCloseTo(1, 12);
  expect(r(wilsonInterval(10, 10))).toEqual([0.722, 1]);
  const wide = wilsonInterval(15, 30);
  const narrow = wilsonInterval(150, 300);
  expect(narrow[1] - narrow[0]).toBeLessThan(wide[1] - wide[0]);
  expect(() => wilsonInterval(1, 0)).toThrow(/needs n >= 1 trials/);
  expect(() => wilsonInterval(4, 3)).toThrow(/successes 4 not in 0..3/);
});
