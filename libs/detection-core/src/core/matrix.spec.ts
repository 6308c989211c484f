import { describe, expect, it } from 'vitest';
import { DetectionErrorCode } from './errors.js';
import { Matrix, checkMatrix } from './matrix.js';

describe(Matrix.name, () => {
  const sut = Matrix.fromRows(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    ['a', 'b', 'c'],
  );

  it('stores rows contiguously and names columns', () => {
    expect(Array.from(sut.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sut.get(1, 2)).toBe(6);
    expect(Array.from(sut.row(1))).toEqual([4, 5, 6]);
    expect(Array.from(sut.column(1))).toEqual([2, 5]);
    expect(sut.featureNames).toEqual(['a', 'b', 'c']);
    expect(Matrix.zeros(1, 2).featureNames).toEqual(['f0', 'f1']);
  });

  it('selects rows and columns into new matrices', () => {
    expect(sut.selectRows([1, 1, 0]).toRows()).toEqual([
      [4, 5, 6],
      [4, 5, 6],
      [1, 2, 3],
    ]);
    const cols = sut.selectColumns([2, 0]);
    expect(cols.toRows()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(cols.featureNames).toEqual(['c', 'a']);
  });

  it('rejects inconsistent shapes, ragged rows and non-numbers', () => {
    expect(() => new Matrix(new Float64Array(5), 2, 3)).toThrow(
      /5 values but the shape 2 x 3 needs 6/,
    );
    expect(() => Matrix.fromRows([[1, 2], [3]])).toThrow(/Row 1 has 1 values but row 0 has 2/);
    expect(() => Matrix.fromRows([[1, '2' as unknown as number]])).toThrow(
      /row 0, column 1 is string/,
    );
    expect(() => new Matrix(new Float64Array(2), 1, 2, ['x'])).toThrow(
      /2 columns but 1 feature names/,
    );
  });
});

describe(checkMatrix.name, () => {
  const where = { arg: 'X', fn: 'score' };

  it('names the argument, function, row, column and feature of a bad value', () => {
    const M = Matrix.fromRows(
      [
        [1, 2],
        [3, Number.NEGATIVE_INFINITY],
      ],
      ['x', 'y'],
    );
    expect(() => checkMatrix(M, where)).toThrow(
      "Argument 'X' passed to 'score' has -Infinity at row 1, column 1 ('y')",
    );
  });

  it('accepts NaN only when asked, never Infinity', () => {
    const M = Matrix.fromRows([[1, Number.NaN]]);
    expect(() => checkMatrix(M, where)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NonFiniteValue }),
    );
    expect(checkMatrix(M, { ...where, allowNaN: true })).toBe(M);
    expect(() => checkMatrix([[Infinity]], { ...where, allowNaN: true })).toThrow(/Infinity/);
  });

  it('reports empty input and a wrong width', () => {
    expect(() => checkMatrix([], where)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
    );
    expect(() => checkMatrix([[1, 2]], { ...where, cols: 3 })).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.ShapeMismatch }),
    );
  });
});
