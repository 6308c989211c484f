import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { ThresholdQuantizer } from './threshold-quantizer.js';

/** rank by definition: how many distinct thresholds are strictly below x. */
function bruteRank(thresholds: Float64Array, x: number): number {
  return new Set(Array.from(thresholds).filter((t) => t < x)).size;
}

describe(ThresholdQuantizer.name, () => {
  const rng = new Random(17);
  // Uniform, crowded (a tight cluster inside a wide range), integer-valued with repeats, one just
  // below a grid edge (rounding puts 13.749999999999998 in the cell that starts at 55 · 3/12), a
  // single threshold, and none at all.
  const thresholds = [
    Float64Array.from({ length: 300 }, () => rng.between(-5, 5)),
    Float64Array.from({ length: 400 }, (_, i) =>
      i < 380 ? 1 + rng.uniform() * 1e-9 : rng.between(-1e6, 1e6),
    ),
    Float64Array.from({ length: 200 }, () => Math.floor(rng.between(0, 50)) + 0.5),
    Float64Array.of(0, 13.749999999999998, 55),
    Float64Array.of(3),
    new Float64Array(0),
  ];
  const sut = new ThresholdQuantizer(thresholds);
  const d = thresholds.length;

  // Values on thresholds, one ulp either side, far outside the range, at ±0 and at random.
  const probes = (f: number): number[] => {
    const out = [0, -0, 1e300, -1e300, Number.MAX_VALUE, -Number.MAX_VALUE];
    for (const t of thresholds[f]!) {
      out.push(t, t + Math.abs(t) * Number.EPSILON + Number.MIN_VALUE);
      out.push(t - Math.abs(t) * Number.EPSILON - Number.MIN_VALUE);
    }
    for (let i = 0; i < 300; i++) out.push(rng.between(-10, 60));
    return out;
  };

  it('ranks a value by the number of distinct thresholds strictly below it', () => {
    for (let f = 0; f < d; f++) {
      expect(sut.count(f)).toBe(new Set(thresholds[f]).size);
      for (const x of probes(f)) expect(sut.rank(f, x)).toBe(bruteRank(thresholds[f]!, x));
    }
  });

  it('quantizes blocks into shifted ranks grouped by lanes, padding the last group', () => {
    const rows = 1003;
    const lanes = 8;
    const shift = 5;
    const at = 3;
    const columns = Array.from({ length: d }, (_, f) => probes(f));
    const src = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) {
      for (let f = 0; f < d; f++) src[i * d + f] = columns[f]![i % columns[f]!.length]!;
    }
    const padded = Math.ceil(rows / lanes) * lanes;
    const dst = new Int32Array(at + padded * d).fill(-1);
    sut.quantizeLanes(src, rows, d, lanes, shift, dst, at);
    expect(dst.subarray(0, at)).toEqual(Int32Array.of(-1, -1, -1));
    for (let i = 0; i < padded; i++) {
      const k = i % lanes;
      for (let f = 0; f < d; f++) {
        const expected = i < rows ? sut.rank(f, src[i * d + f]!) << shift : 0;
        expect(dst[at + (i - k) * d + f * lanes + k]).toBe(expected);
      }
    }
  });
});
