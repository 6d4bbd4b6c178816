// The policy's seed protocol: training, design experiments and evaluation draw scenes from three disjoint
// ranges, defined once in seed-ranges.json (training/policy_train.py reads the same file). The evaluator
// and the trainer refuse a seed outside their range, so a reported figure never comes from a scene that
// chose a design or trained a network.
import ranges from './seed-ranges.json';

export const SEED_RANGE_NAMES = ['design', 'evaluation', 'training'] as const;
export type SeedRangeName = (typeof SEED_RANGE_NAMES)[number];

export interface SeedRange {
  first: number;
  last: number;
  use: string;
}

export const SEED_RANGES: Readonly<Record<SeedRangeName, SeedRange>> = Object.freeze({
  design: ranges.design,
  evaluation: ranges.evaluation,
  training: ranges.training,
});

/** Throws one line naming the range when any of seeds first..first+count-1 lies outside it. */
export function checkSeeds(range: SeedRangeName, first: number, count: number, who: string): void {
  const r = SEED_RANGES[range];
  const last = first + count - 1;
  if (!Number.isInteger(first) || first < r.first || last > r.last) {
    throw new RangeError(
      `${who}: seeds ${first}..${last} are outside the ${range} range ${r.first}..${r.last} (src/policy/seed-ranges.json)`,
    );
  }
}
