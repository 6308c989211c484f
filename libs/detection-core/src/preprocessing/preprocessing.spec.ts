import { describe, expect, it } from 'vitest';
import { Matrix } from '../core/matrix.js';
import { Imputer } from './imputer.js';
import { Scaler } from './scaler.js';

const X = Matrix.fromRows([
  [1, 10, 5],
  [2, 20, 5],
  [3, 30, 5],
  [4, 1000, 5],
]);

describe(Scaler.name, () => {
  it('standard: zero mean, unit population variance; a constant column becomes 0', () => {
    const Z = Scaler.fit(X, 'standard').transform(X);
    const c0 = Z.column(0);
    expect(c0.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(c0.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 12);
    expect(Array.from(Z.column(2))).toEqual([0, 0, 0, 0]);
  });

  it('robust: median and IQR, so one huge value does not squash the rest', () => {
    const Z = Scaler.fit(X, 'robust').transform(X);
    // column 1: median 25, q25 17.5, q75 272.5
    expect(Z.get(0, 1)).toBeCloseTo((10 - 25) / 255, 12);
  });

  it('minmax: the training range maps onto [0, 1]', () => {
    const Z = Scaler.fit(X, 'minmax').transform(X);
    expect(Array.from(Z.column(0))).toEqual([0, 1 / 3, 2 / 3, 1]);
  });

  it('none returns the input unchanged, and state round-trips', () => {
    expect(Scaler.fit(X, 'none').transform(X)).toBe(X);
    const s = Scaler.fit(X, 'robust');
    expect(Scaler.fromJSON(s.toJSON()).transform(X)).toEqual(s.transform(X));
  });
});

describe(Imputer.name, () => {
  const M = Matrix.fromRows([
    [1, Number.NaN],
    [3, 4],
    [Number.NaN, 8],
    [8, 9],
  ]);

  it('fills NaN with the training mean or median per column', () => {
    expect(Imputer.fit(M, 'mean').transform(M).toRows()).toEqual([
      [1, 7],
      [3, 4],
      [4, 8],
      [8, 9],
    ]);
    expect(Imputer.fit(M, 'median').transform(M).get(2, 0)).toBe(3);
  });

  it('fills an all-missing column with 0 and leaves complete input as is', () => {
    const allMissing = Matrix.fromRows([[Number.NaN], [Number.NaN]]);
    expect(Imputer.fit(allMissing, 'mean').transform(allMissing).toRows()).toEqual([[0], [0]]);
    const complete = Matrix.fromRows([[1], [2]]);
    expect(Imputer.fit(complete, 'mean').transform(complete)).toBe(complete);
  });
});
