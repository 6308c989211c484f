import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { heapPush, simultaneousSort } from './neighbor-heap.js';

describe('neighbor heap', () => {
  it('keeps the k smallest values offered, the largest on top', () => {
    const rng = new Random(2);
    const k = 7;
    const values = new Float64Array(k).fill(Infinity);
    const indices = new Int32Array(k);
    const offered: number[] = [];
    for (let i = 0; i < 100; i++) {
      const v = rng.int(30);
      offered.push(v);
      heapPush(values, indices, 0, k, v, i);
      expect(values[0]).toBe(Math.max(...values));
    }
    const smallest = [...offered].sort((a, b) => a - b).slice(0, k);
    expect([...values].sort((a, b) => a - b)).toEqual(smallest);
    indices.forEach((i, t) => expect(offered[i]).toBe(values[t]));
  });

  it('rejects a value equal to the largest kept: the first offered wins', () => {
    const values = new Float64Array(2).fill(Infinity);
    const indices = new Int32Array(2);
    heapPush(values, indices, 0, 2, 1, 10);
    heapPush(values, indices, 0, 2, 1, 11);
    heapPush(values, indices, 0, 2, 1, 12);
    expect([...indices].sort((a, b) => a - b)).toEqual([10, 11]);
  });

  it('sorts values ascending, moving indices along', () => {
    const rng = new Random(3);
    for (const n of [0, 1, 2, 3, 4, 5, 21, 100]) {
      const values = Float64Array.from({ length: n + 2 }, () => rng.int(10));
      const indices = Int32Array.from({ length: n + 2 }, (_, i) => i);
      const original = Float64Array.from(values);
      simultaneousSort(values, indices, 1, n);
      const part = Array.from(values.subarray(1, n + 1));
      expect(part).toEqual([...original.subarray(1, n + 1)].sort((a, b) => a - b));
      for (let t = 1; t <= n; t++) expect(original[indices[t]!]).toBe(values[t]);
      expect([values[0], values[n + 1]]).toEqual([original[0], original[n + 1]]);
    }
  });
});
