import { describe, expect, it } from 'vitest';
import type { Cell } from '../ingest/cells.js';
import { ColumnProfiler, withQuantiles } from './column-profile.js';
import { quantileSorted } from './quantiles.js';
import { DuplicateRowCounter, hash53 } from './row-hash.js';

function profile(cells: Cell[]): ColumnProfiler {
  const sut = new ColumnProfiler();
  for (const cell of cells) sut.add(cell);
  return sut;
}

describe(ColumnProfiler.name, () => {
  it('infers numeric columns from text and numbers and computes hand-checked statistics', () => {
    const sut = profile(['1', 2, ' 3 ', '4e0', '', null, 'NaN', '-inf']);
    expect(sut.type).toBe('numeric');
    const stats = sut.stats();
    // Finite values 1, 2, 3, 4: mean 2.5; sample variance (2.25+0.25+0.25+2.25)/3 = 5/3.
    expect(stats).toMatchObject({ count: 6, missing: 2, nonFinite: 2, mean: 2.5, min: 1, max: 4 });
    expect(stats.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
    const full = withQuantiles(stats, Float64Array.of(1, 2, 3, 4), quantileSorted);
    expect([full.p25, full.p50, full.p75]).toEqual([1.75, 2.5, 3.25]);
    expect(sut.constant).toBe(false);
  });

  it('makes a column with one non-numeric value categorical and says which value', () => {
    const sut = profile(['1', '2', 'x', '2']);
    expect(sut.type).toBe('categorical');
    expect(sut.numericCount).toBe(3);
    expect(sut.nonNumericExample()).toBe('x');
    expect(sut.stats()).toMatchObject({
      count: 4,
      mean: null,
      unique: 3,
      uniqueExact: true,
      top: [
        { value: '2', count: 2 },
        { value: '1', count: 1 },
        { value: 'x', count: 1 },
      ],
    });
  });

  it('infers ISO 8601 timestamps, with their range', () => {
    const sut = profile([
      '2024-05-01',
      '2024-05-01T12:30:00Z',
      null,
      '2023-12-31 23:59:59.5+01:00',
    ]);
    expect(sut.type).toBe('timestamp');
    expect(sut.stats()).toMatchObject({
      count: 3,
      missing: 1,
      min: '2023-12-31T22:59:59.500Z',
      max: '2024-05-01T12:30:00.000Z',
    });
    expect(profile(['2024-05-01', 'soon']).type).toBe('categorical');
    expect(profile(['2024', '2025']).type).toBe('numeric');
  });

  it('calls a column constant when it has fewer than two distinct values', () => {
    expect(profile(['1', '1.0', 1, null]).constant).toBe(true);
    expect(profile([null, null]).constant).toBe(true);
    expect(profile(['a', 'b']).constant).toBe(false);
  });
});

describe(quantileSorted.name, () => {
  it('interpolates between closest ranks like numpy', () => {
    // numpy.percentile([10, 20, 40], [0, 25, 50, 90, 100]) = [10, 15, 20, 36, 40]
    const sorted = Float64Array.of(10, 20, 40);
    expect([0, 0.25, 0.5, 0.9, 1].map((q) => quantileSorted(sorted, q))).toEqual([
      10, 15, 20, 36, 40,
    ]);
    expect(quantileSorted(Float64Array.of(7), 0.75)).toBe(7);
    expect(() => quantileSorted(new Float64Array(0), 0.5)).toThrow(/empty/);
    expect(() => quantileSorted(sorted, 1.5)).toThrow(/\[0, 1\]/);
  });
});

describe(DuplicateRowCounter.name, () => {
  it('counts rows equal to an earlier row', () => {
    const sut = new DuplicateRowCounter();
    for (const row of [
      ['1', 'a'],
      ['1', 'a'],
      ['1', null],
      ['1', 'a'],
      [null, '1'],
    ])
      sut.add(row);
    expect(sut.count()).toBe(2);
    expect(hash53('a\u001fb')).not.toBe(hash53('a\u001fc'));
    expect(Number.isSafeInteger(hash53('anything'))).toBe(true);
  });
});
