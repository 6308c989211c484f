/**
 * The q-quantile of ascending-sorted values by linear interpolation between closest ranks
 * (Hyndman & Fan 1996, definition 7; numpy's and pandas' default): position `q·(n − 1)`.
 *
 * @throws RangeError when `sorted` is empty or `q` is outside [0, 1].
 * @example quantileSorted(Float64Array.of(1, 2, 3, 4), 0.25) // 1.75
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0)
    throw new RangeError("Argument 'sorted' passed to 'quantileSorted' is empty.");
  if (!(q >= 0 && q <= 1))
    throw new RangeError(`Argument 'q' passed to 'quantileSorted' must be in [0, 1], got ${q}.`);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const fraction = position - below;
  const low = sorted[below]!;
  if (fraction === 0) return low;
  return low + (sorted[below + 1]! - low) * fraction;
}

/** Numbers grown in place without boxing (a column's values while they are read back). */
export class GrowableFloat64 {
  private data: Float64Array;
  private size = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.size++] = value;
  }

  /** The values so far (a view: valid until the next push). */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }
}
