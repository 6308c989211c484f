import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { pairwiseMean, pairwiseSum } from './pairwise-sum.js';

describe(pairwiseSum.name, () => {
  it("rounds as numpy's np.mean does (a case where a plain running sum differs)", () => {
    // np.mean of these 20 values is 49.20986577370232; summing left to right gives ...231.
    const a = Float64Array.of(
      85.64916714362437,
      0.0002368105065960997,
      0.0008012744652063969,
      582.1620360643678,
      94.12864224039919,
      0.043312694023647375,
      0.00047905129814083405,
      0.015973891463707854,
      0.0007345771514092145,
      113.6720199214034,
      3.9122819049566204,
      5.167401826213637,
      0.004306280204141778,
      0.5867985714381407,
      0.007378377872921602,
      95.62672548360986,
      0.28420116374879145,
      0.000648547207079825,
      0.006962159966701555,
      2.9272074901248715,
    );
    expect(pairwiseMean(a, 0, 20)).toBe(49.20986577370232);
  });

  it('sums exactly representable values exactly, at every size and offset', () => {
    const rng = new Random(5);
    for (const n of [0, 1, 7, 8, 9, 16, 127, 128, 129, 300, 1000]) {
      const a = Float64Array.from({ length: n + 3 }, () => rng.int(1000));
      let expected = 0;
      for (let i = 3; i < n + 3; i++) expected += a[i]!;
      expect(pairwiseSum(a, 3, n)).toBe(expected);
    }
  });
});
