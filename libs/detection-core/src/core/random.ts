import { check } from './errors.js';

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021), seeded through SplitMix32.
 *
 * Every random choice in the library goes through this class, so the same seed gives the same
 * model and the same scores on every platform (it uses only 32-bit integer arithmetic).
 *
 * @example
 * const rng = new Random(42);
 * rng.uniform(); // in [0, 1)
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = Number.NaN;

  /** @param seed any integer; non-integers are rejected so that seeds are never silently rounded. */
  constructor(seed: number) {
    check(Number.isSafeInteger(seed), `seed must be a safe integer, got ${seed}`);
    // SplitMix32 spreads the seed (including its high bits) over the 128-bit state.
    let x = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A uniform integer in [0, n), without modulo bias (rejection of the incomplete last block). */
  int(n: number): number {
    if (n <= 0x1_0000_0000) {
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return x % n;
    }
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Marsaglia's polar method). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = Number.NaN;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /**
   * `k` distinct integers from [0, n), in random order. Uses Floyd's algorithm when k ≪ n, so
   * drawing 256 rows out of millions costs O(k), not O(n).
   */
  sample(n: number, k: number): Int32Array {
    check(k >= 0 && k <= n, `cannot sample ${k} distinct values out of ${n}`);
    const out = new Int32Array(k);
    if (k * 4 >= n) {
      const all = new Int32Array(n);
      for (let i = 0; i < n; i++) all[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + this.int(n - i);
        const t = all[i]!;
        all[i] = all[j]!;
        all[j] = t;
      }
      out.set(all.subarray(0, k));
      return out;
    }
    const seen = new Set<number>();
    for (let j = n - k, c = 0; j < n; j++, c++) {
      const t = this.int(j + 1);
      const pick = seen.has(t) ? j : t;
      seen.add(pick);
      out[c] = pick;
    }
    // Floyd's algorithm yields a uniform set but not a uniform order; shuffle the k picks.
    this.shuffle(out);
    return out;
  }

  /** Shuffles in place (Fisher–Yates). */
  shuffle(a: Int32Array | Float64Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  /** A new generator whose stream is independent of this one's continuation. */
  fork(): Random {
    return new Random(this.nextUint32() * 0x20_0000 + (this.nextUint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
