import { describe, expect, it } from 'vitest';
import { DetectionErrorCode } from '../core/errors.js';
import { Random } from '../core/random.js';
import {
  KD_TREE_MAX_DIMENSIONS,
  NeighborIndex,
  chooseMethod,
  type Neighbors,
} from './k-nearest.js';

/** Rows of small integers: many exact ties and duplicate rows. */
function grid(n: number, d: number, values: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n * d }, () => rng.int(values));
}

function gaussian(n: number, d: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n * d }, () => rng.normal());
}

/** All distances from query q, summed feature by feature, then sorted by (distance, row). */
function naive(
  train: Float64Array,
  d: number,
  query: Float64Array,
  q: number,
  skip: number,
): { dist: number; row: number }[] {
  const out: { dist: number; row: number }[] = [];
  for (let r = 0; r < train.length / d; r++) {
    if (r === skip) continue;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = query[q * d + j]! - train[r * d + j]!;
      s += t * t;
    }
    out.push({ dist: Math.sqrt(s), row: r });
  }
  return out.sort((a, b) => a.dist - b.dist || a.row - b.row);
}

/**
 * The neighbours agree with a naive search: the same distances exactly, each index really at
 * its distance, no row twice, and the same rows wherever the k-th distance is not tied.
 * Returns the number of problems (one expect per call keeps the test fast).
 */
function problems(
  nb: Neighbors,
  reference: { dist: number; row: number }[][],
  training: boolean,
): string[] {
  const { k } = nb;
  const found: string[] = [];
  for (let q = 0; q < nb.rows; q++) {
    const all = reference[q]!;
    const rows = Array.from(nb.indices.subarray(q * k, q * k + k));
    const dist = Array.from(nb.distances.subarray(q * k, q * k + k));
    const byRow = new Map(all.map((e) => [e.row, e.dist]));
    if (dist.some((v, t) => v !== all[t]!.dist))
      found.push(`row ${q}: distances ${dist.join()} differ`);
    if (new Set(rows).size !== k) found.push(`row ${q}: a neighbour twice`);
    if (training && rows.includes(q)) found.push(`row ${q}: itself among its neighbours`);
    if (rows.some((r, t) => byRow.get(r) !== dist[t]))
      found.push(`row ${q}: an index is not at its distance`);
    if (k < all.length && all[k - 1]!.dist === all[k]!.dist) continue;
    const expected = all
      .slice(0, k)
      .map((e) => e.row)
      .sort((x, y) => x - y);
    if ([...rows].sort((x, y) => x - y).join() !== expected.join())
      found.push(`row ${q}: other neighbours`);
  }
  return found;
}

function reference(
  train: Float64Array,
  d: number,
  query: Float64Array,
  training: boolean,
): { dist: number; row: number }[][] {
  return Array.from({ length: query.length / d }, (_, q) =>
    naive(train, d, query, q, training ? q : -1),
  );
}

describe(NeighborIndex.name, () => {
  const cases = [
    {
      name: 'integer grid with duplicates',
      d: 3,
      data: grid(300, 3, 4, 1),
      queries: grid(60, 3, 5, 2),
    },
    { name: 'gaussian', d: 5, data: gaussian(300, 5, 3), queries: gaussian(50, 5, 4) },
    { name: 'wide integer grid', d: 20, data: grid(300, 20, 2, 5), queries: grid(40, 20, 2, 6) },
  ];
  for (const { name, d, data, queries } of cases) {
    for (const method of ['kd-tree', 'brute'] as const) {
      it(`${method}: training rows match a naive search (${name})`, () => {
        const sut = new NeighborIndex(data, data.length / d, d, method);
        const ref = reference(data, d, data, true);
        for (const k of [1, 6, 21]) expect(problems(sut.training(k), ref, true)).toEqual([]);
      });

      it(`${method}: new rows match a naive search (${name})`, () => {
        const sut = new NeighborIndex(data, data.length / d, d, method);
        const ref = reference(data, d, queries, false);
        for (const k of [1, 5, 20])
          expect(problems(sut.query(queries, queries.length / d, k), ref, false)).toEqual([]);
      });
    }

    it(`kd-tree and brute force choose the same distances (${name})`, () => {
      const n = data.length / d;
      const a = new NeighborIndex(data, n, d, 'kd-tree').training(10);
      const b = new NeighborIndex(data, n, d, 'brute').training(10);
      expect(a.distances).toEqual(b.distances);
    });
  }

  it('puts duplicates of a row at distance exactly 0, by either method', () => {
    const rng = new Random(9);
    const base = Float64Array.from({ length: 40 * 30 }, () => rng.normal() * 1e3 + 1e4);
    const data = new Float64Array(80 * 30);
    data.set(base);
    data.set(base, base.length);
    for (const method of ['kd-tree', 'brute'] as const) {
      const nb = new NeighborIndex(data, 80, 30, method).training(1);
      expect(nb.distances.every((v) => v === 0)).toBe(true);
      for (let i = 0; i < 80; i++) expect(nb.indices[i]).toBe((i + 40) % 80);
    }
  });

  it('returns the same neighbours on a second call (the index is reused)', () => {
    const data = grid(300, 4, 6, 11);
    const sut = new NeighborIndex(data, 300, 4);
    const a = sut.training(8);
    const b = sut.training(8);
    expect(b.indices).toEqual(a.indices);
    expect(b.distances).toEqual(a.distances);
  });

  it('accepts k up to n - 1 for training rows and n for new rows', () => {
    const data = gaussian(12, 2, 12);
    const sut = new NeighborIndex(data, 12, 2);
    expect(sut.training(11).distances.every(Number.isFinite)).toBe(true);
    const all = sut.query(Float64Array.of(0, 0), 1, 12);
    expect([...all.indices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const single = new NeighborIndex(Float64Array.of(3, 4), 1, 2);
    expect(Array.from(single.query(Float64Array.of(0, 0), 1, 1).distances)).toEqual([5]);
  });

  it('rejects k out of range and malformed matrices with clear errors', () => {
    const sut = new NeighborIndex(gaussian(10, 2, 1), 10, 2);
    expect(() => sut.training(10)).toThrow(
      /k must be an integer in \[1, 9\] \(the other training rows\), got 10/,
    );
    expect(() => sut.training(0)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.InvalidArgument }),
    );
    expect(() => sut.training(1.5)).toThrow(/got 1.5/);
    expect(() => sut.query(new Float64Array(2), 1, 11)).toThrow(
      /k must be an integer in \[1, 10\]/,
    );
    expect(() => sut.query(new Float64Array(3), 1, 2)).toThrow(
      /queries must be 1 x 2, got 3 values/,
    );
    expect(() => new NeighborIndex(new Float64Array(5), 3, 2)).toThrow(
      /non-empty rows x cols matrix/,
    );
  });

  it('picks the KD-tree for narrow data and brute force for wide data or large k', () => {
    expect(chooseMethod(1000, KD_TREE_MAX_DIMENSIONS, 5)).toBe('kd-tree');
    expect(chooseMethod(1000, KD_TREE_MAX_DIMENSIONS + 1, 5)).toBe('brute');
    expect(chooseMethod(40, 3, 20)).toBe('brute');
    expect(chooseMethod(42, 3, 20)).toBe('kd-tree');
  });
});
