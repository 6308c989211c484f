import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { BruteForce } from './brute-force.js';

describe(BruteForce.name, () => {
  it('offers the training rows in row order on the symmetric path too: the same picks among ties', () => {
    // 301 rows of few distinct values: many ties, three row blocks, odd leftovers in every tile.
    const rng = new Random(7);
    const n = 301;
    const d = 17;
    const data = Float64Array.from({ length: n * d }, () => rng.int(3));
    const sut = new BruteForce(data, n, d);
    for (const k of [1, 6, 21]) {
      const a = { dist2: new Float64Array(n * k), ind: new Int32Array(n * k) };
      const b = { dist2: new Float64Array(n * k), ind: new Int32Array(n * k) };
      sut.queryTraining(k, a.dist2, a.ind);
      sut.query(data, n, k, b.dist2, b.ind);
      expect(a.ind).toEqual(b.ind);
      expect(a.dist2).toEqual(b.dist2);
    }
  });

  it('returns exact squared distances, ascending, where the products identity cancels', () => {
    // Squares near 1e16 carry rounding errors of a few units: ‖x‖² − 2x·y + ‖y‖² is off by as
    // much, the recomputed Σ (x − y)² is exact.
    const data = Float64Array.of(1e8, 1e8 + 1, 1e8 + 100, 1e8 + 100);
    const sut = new BruteForce(data, 4, 1);
    const dist2 = new Float64Array(8);
    const ind = new Int32Array(8);
    sut.queryTraining(2, dist2, ind);
    expect(Array.from(dist2)).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
    const sets = [0, 1, 2, 3].map((r) => [ind[2 * r]!, ind[2 * r + 1]!].sort((x, y) => x - y));
    expect(sets).toEqual([
      [0, 1],
      [0, 1],
      [2, 3],
      [2, 3],
    ]);
  });
});
