import { Matrix, PCA, Random } from '@nomaly/detection-core';
import { describe, expect, it } from 'vitest';
import { projectRows } from './projection.js';

/** Rows of correlated features: a strong direction, a weaker one, and noise. */
function correlated(n: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => {
    const a = random.normal() * 5;
    const b = random.normal() * 2;
    return [
      a + 0.1 * random.normal(),
      2 * a + b,
      -a + 0.5 * random.normal(),
      b * 3 + 7,
      random.normal(),
    ];
  });
}

describe(projectRows.name, () => {
  it('finds the same variances as detection-core’s PCA on standardized data', () => {
    const rows = correlated(400, 7);
    const projection = projectRows(rows);
    const reference = new PCA({ nComponents: 2, standardize: true }).fit(Matrix.fromRows(rows));
    const variance = reference.explainedVariance;
    expect(projection.variance[0]).toBeCloseTo(variance[0]!, 8);
    expect(projection.variance[1]).toBeCloseTo(variance[1]!, 8);
    const total = Array.from(variance).reduce((a, b) => a + b, 0);
    expect(projection.explained[0]).toBeCloseTo(variance[0]! / total, 8);
  });

  it('gives coordinates whose variances are the eigenvalues and that are uncorrelated', () => {
    const projection = projectRows(correlated(500, 3));
    const n = projection.x.length;
    const mean = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / n;
    const mx = mean(projection.x);
    const my = mean(projection.y);
    let vx = 0;
    let vy = 0;
    let cxy = 0;
    for (let i = 0; i < n; i++) {
      vx += (projection.x[i]! - mx) ** 2;
      vy += (projection.y[i]! - my) ** 2;
      cxy += (projection.x[i]! - mx) * (projection.y[i]! - my);
    }
    expect(mx).toBeCloseTo(0, 10);
    expect(vx / (n - 1)).toBeCloseTo(projection.variance[0], 8);
    expect(vy / (n - 1)).toBeCloseTo(projection.variance[1], 8);
    expect(cxy / (n - 1)).toBeCloseTo(0, 8);
    expect(projection.variance[0]).toBeGreaterThanOrEqual(projection.variance[1]);
  });

  it('returns unit components with the largest entry positive, the same on every run', () => {
    const rows = correlated(200, 11);
    const first = projectRows(rows);
    const again = projectRows(rows.map((row) => [...row]));
    for (const component of first.components) {
      const norm = Math.hypot(...component);
      expect(norm).toBeCloseTo(1, 10);
      const largest = Array.from(component).reduce(
        (best, v) => (Math.abs(v) > Math.abs(best) ? v : best),
        0,
      );
      expect(largest).toBeGreaterThan(0);
    }
    expect(Array.from(again.x)).toEqual(Array.from(first.x));
  });

  it('replaces missing and non-finite values by the column mean', () => {
    const withGaps = [
      [1, 2],
      [null, 4],
      [3, Number.NaN],
      [5, 8],
    ];
    const filled = [
      [1, 2],
      [3, 4],
      [3, 14 / 3],
      [5, 8],
    ];
    const a = projectRows(withGaps);
    const b = projectRows(filled);
    a.x.forEach((v, i) => expect(v).toBeCloseTo(b.x[i]!, 10));
  });

  it('copes with a constant column, one feature, and fewer than two rows', () => {
    const constant = projectRows([
      [1, 5],
      [2, 5],
      [3, 5],
    ]);
    expect(constant.explained[0]).toBeCloseTo(1, 10);
    expect(Array.from(constant.y)).toEqual([0, 0, 0]);
    const single = projectRows([[1], [2], [4]]);
    expect(Array.from(single.y)).toEqual([0, 0, 0]);
    expect(single.x[2]).toBeGreaterThan(single.x[0]!);
    const one = projectRows([[1, 2, 3]]);
    expect(Array.from(one.x)).toEqual([0]);
  });

  it('names a ragged row', () => {
    expect(() => projectRows([[1, 2], [3]])).toThrow(/row 1 has 1 values, row 0 has 2/);
  });
});
