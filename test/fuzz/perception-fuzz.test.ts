// A seeded fuzz campaign through perception_node (issue 12): one injected fault per set, the expected
// fault code taken from the injection, a valid set after each. No crash, nothing non-finite published,
// every fault set raises its code, every valid set is answered and raises nothing. The 10,000-set run
// is `grasp-perception fuzz` (README: reliability note).
import { countNonFinite, FAULT_KINDS, runFuzz } from '../../src/cli/fuzz';
import { encodeFloat32Image } from '../../src/image';

jest.setTimeout(180_000);

describe('countNonFinite', () => {
  it('finds NaN and ±Inf in numbers, typed arrays, 32FC1 data and diagnostic strings', () => {
    const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: '' };
    expect(countNonFinite({ a: 1, b: [2, { c: 3 }], d: new Float32Array([1, 2]) })).toBe(0);
    expect(countNonFinite({ a: NaN, b: [Infinity, { c: -Infinity }] })).toBe(3);
    expect(countNonFinite(encodeFloat32Image([0.5, NaN, Infinity, 1], 2, 2, header))).toBe(2);
    expect(countNonFinite({ values: [{ key: 'rate', value: 'NaN' }] })).toBe(1);
  });
});

describe('perception_node under hostile input', () => {
  it('300 seeded sets: no crash, all finite, every expected code, every valid set answered', async () => {
    const r = await runFuzz({ sets: 300, seed: 12, width: 96, height: 72 });
    const misses = Object.entries(r.per_kind).filter(([, k]) => k.expected < k.sets);
    expect(misses).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.non_finite_by_topic).toEqual({});
    expect(r.non_finite_outputs).toBe(0);
    expect(r.messages_scanned).toBeGreaterThan(300 * 8);
    expect(r.expected_code).toBe(300);
    expect(r.valid_answered).toBe(300);
    expect(r.valid_with_fault).toBe(0);
    // Every kind was drawn.
    expect(Object.keys(r.per_kind).sort()).toEqual(FAULT_KINDS.map((k) => k.name).sort());
  });
});
