import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { nthElement } from './nth-element.js';

describe(nthElement.name, () => {
  it('puts the nth pair in place with smaller pairs before it and larger after (ties by id)', () => {
    const rng = new Random(1);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(300);
      const keys = Float64Array.from({ length: n }, () => rng.int(trial % 2 === 0 ? 5 : 1000));
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      rng.shuffle(ids);
      const sortedPairs = Array.from(ids, (id, p) => [keys[p]!, id] as const).sort(
        (a, b) => a[0] - b[0] || a[1] - b[1],
      );
      const carry = Int32Array.from(ids, (id) => id * 7);
      const nth = rng.int(n);
      nthElement(keys, ids, 0, nth, n, carry);
      expect([keys[nth], ids[nth]]).toEqual(sortedPairs[nth]);
      const before = new Set(sortedPairs.slice(0, nth).map((p) => p[1]));
      const wrong = Array.from(ids).filter(
        (id, p) => before.has(id) !== p < nth || carry[p] !== id * 7,
      );
      expect(wrong).toEqual([]);
    }
  });

  it('works on a sub-range and leaves the rest alone', () => {
    const keys = Float64Array.of(9, 5, 4, 3, 2, 1, 0);
    const ids = Int32Array.of(0, 1, 2, 3, 4, 5, 6);
    nthElement(keys, ids, 1, 3, 6);
    expect([keys[0], keys[6], keys[3]]).toEqual([9, 0, 3]);
    expect(new Set([keys[1], keys[2]])).toEqual(new Set([1, 2]));
  });
});
