import { describe, expect, it } from 'vitest';
import { golden } from '../../test/helpers.js';
import { Random } from '../core/random.js';
import { KDTree, KD_TREE_LEAF_SIZE } from './kd-tree.js';

/**
 * `KDTree(X, leaf_size=30).get_arrays()[1]` of scikit-learn 1.2.1 for the 'ties' golden set
 * (200 × 3 integer grid with duplicate rows): the order of the points in the tree.
 */
const SKLEARN_TIES_ORDER = [
  150, 19, 147, 20, 145, 23, 8, 15, 180, 182, 183, 139, 2, 82, 194, 76, 16, 179, 18, 87, 129, 74,
  22, 73, 125, 25, 169, 124, 123, 71, 30, 117, 115, 33, 67, 66, 159, 37, 95, 99, 40, 113, 173, 104,
  54, 51, 49, 155, 152, 5, 35, 47, 90, 44, 27, 3, 100, 154, 128, 69, 60, 10, 12, 13, 79, 78, 110,
  137, 141, 162, 170, 120, 26, 156, 68, 131, 135, 34, 92, 94, 80, 81, 38, 85, 84, 97, 185, 39, 176,
  171, 198, 59, 190, 197, 175, 160, 191, 107, 45, 196, 70, 1, 48, 24, 42, 46, 32, 52, 58, 55, 65,
  77, 75, 61, 62, 63, 64, 195, 86, 119, 116, 168, 91, 112, 93, 127, 189, 103, 106, 199, 108, 0, 132,
  114, 134, 57, 126, 167, 138, 153, 6, 7, 177, 31, 21, 14, 181, 17, 96, 83, 105, 122, 50, 172, 56,
  151, 136, 166, 28, 133, 144, 188, 130, 101, 161, 192, 9, 111, 121, 140, 142, 149, 72, 89, 174,
  157, 146, 186, 187, 178, 184, 11, 143, 148, 88, 4, 165, 98, 102, 164, 163, 109, 158, 193, 118, 53,
  36, 41, 43, 29,
];

function flat(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

describe(KDTree.name, () => {
  it("builds scikit-learn's tree: the same points in the same order in every leaf", () => {
    const { X } = golden<{ X: number[][] }>('ties');
    const sut = new KDTree(flat(X), X.length, 3);
    expect(Array.from(sut.order)).toEqual(SKLEARN_TIES_ORDER);
  });

  it('stores the points in tree order with boxes that hold every point of their node', () => {
    const rng = new Random(4);
    const n = 1000;
    const d = 4;
    const data = Float64Array.from({ length: n * d }, () => Math.round(rng.normal() * 3));
    const sut = new KDTree(data, n, d);
    expect([...sut.order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const misplaced: string[] = [];
    for (let p = 0; p < n; p++) {
      for (let j = 0; j < d; j++)
        if (sut.points[p * d + j] !== data[sut.order[p]! * d + j]) misplaced.push(`point ${p}`);
    }
    for (let i = 0; i < sut.nodes; i++) {
      for (let p = sut.start[i]!; p < sut.end[i]!; p++) {
        for (let j = 0; j < d; j++) {
          const v = sut.points[p * d + j]!;
          if (v < sut.box[2 * d * i + j]! || v > sut.box[2 * d * i + d + j]!)
            misplaced.push(`point ${p} outside node ${i}`);
        }
      }
    }
    expect(misplaced).toEqual([]);
    for (let i = sut.firstLeaf; i < sut.nodes; i++) {
      const size = sut.end[i]! - sut.start[i]!;
      expect(size).toBeGreaterThanOrEqual(KD_TREE_LEAF_SIZE);
      expect(size).toBeLessThanOrEqual(2 * KD_TREE_LEAF_SIZE);
    }
  });

  it("starting at each row's own leaf meets points in the same order as starting at the root", () => {
    // Integer grid with duplicates: many rows on split planes, boxes at distance 0 from them.
    const rng = new Random(6);
    const n = 2000;
    const d = 3;
    const data = Float64Array.from({ length: n * d }, () => rng.int(6));
    const sut = new KDTree(data, n, d);
    for (const k of [2, 7, 21]) {
      const own = { dist2: new Float64Array(n * k), ind: new Int32Array(n * k) };
      const root = { dist2: new Float64Array(n * k), ind: new Int32Array(n * k) };
      sut.queryTraining(k, own.dist2, own.ind);
      sut.query(data, n, k, root.dist2, root.ind);
      expect(own.ind).toEqual(root.ind);
      expect(own.dist2).toEqual(root.dist2);
    }
  });

  it('handles a single row and a single leaf', () => {
    const one = new KDTree(Float64Array.of(1, 2), 1, 2);
    const dist2 = new Float64Array(1);
    const ind = new Int32Array(1);
    one.query(Float64Array.of(4, 6), 1, 1, dist2, ind);
    expect([dist2[0], ind[0]]).toEqual([25, 0]);
    const small = new KDTree(Float64Array.of(0, 1, 2, 3), 4, 1);
    expect(small.nodes).toBe(1);
    const d2 = new Float64Array(8);
    const id = new Int32Array(8);
    small.queryTraining(2, d2, id);
    expect(Array.from(d2)).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    expect(Array.from(id)).toEqual([0, 1, 1, 0, 2, 1, 3, 2]);
  });
});
