// Generated adversarial arrangements: deterministic in the seed, every kind drawn, valid, and they settle.
import { ADVERSARIAL_KINDS, generateAdversarial } from '../../src/policy/adversarial';
import { SEED_RANGES } from '../../src/policy/seeds';
import { BinPickingSim, DEFAULT_BIN } from '../../src/sim';

const HALF = Math.min(...[DEFAULT_BIN.innerSize].flat()) / 2;

test('arrangements are deterministic in the seed, cover the four kinds, and lie inside the bin', () => {
  const first = SEED_RANGES.design.first;
  expect(generateAdversarial(first)).toEqual(generateAdversarial(first));
  expect(generateAdversarial(first)).not.toEqual(generateAdversarial(first + 1));
  const kinds = new Set<string>();
  for (let s = first; s < first + 40; s++) {
    const a = generateAdversarial(s);
    a.kinds.forEach((k) => kinds.add(k));
    expect(a.objects.length).toBeGreaterThanOrEqual(2);
    for (const o of a.objects) {
      expect(Math.abs(o.position[0])).toBeLessThanOrEqual(HALF);
      expect(Math.abs(o.position[1])).toBeLessThanOrEqual(HALF);
    }
  }
  expect([...kinds].sort()).toEqual([...ADVERSARIAL_KINDS].sort());
});

test('generated arrangements settle in the simulator with their objects still in the bin', async () => {
  for (const seed of [11, 12, 13]) {
    const a = generateAdversarial(seed);
    const sim = await BinPickingSim.fromScenario(a, {}, seed);
    try {
      // Packed and stacked objects may shift when settling, but they stay in the bin.
      expect([seed, sim.objectsRemaining]).toEqual([seed, a.objects.length]);
    } finally {
      sim.dispose();
    }
  }
});
