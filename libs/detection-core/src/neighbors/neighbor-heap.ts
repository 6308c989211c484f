/**
 * The bounded max-heap and the final sort of one query's neighbours, exactly as scikit-learn's
 * `heap_push` and `simultaneous_sort` (`sklearn/utils/_heap.pyx`, `_sorting.pyx`).
 *
 * The heap keeps the k smallest values offered so far in `values[off … off+k)` with the largest
 * at `values[off]`; the slots start at +Infinity. Which of several equal values survive depends
 * on the order of the offers and on these exact sift rules, so matching scikit-learn's choice
 * among equidistant neighbours (which changes LOF scores) needs this code step for step.
 */

/**
 * Offers `(value, index)` to the heap of `size` slots at `off`. A value not strictly below the
 * current largest is rejected: among equal values the first offered is kept.
 */
export function heapPush(
  values: Float64Array,
  indices: Int32Array,
  off: number,
  size: number,
  value: number,
  index: number,
): void {
  if (value >= values[off]!) return;
  let current = 0;
  for (;;) {
    const left = 2 * current + 1;
    const right = left + 1;
    let swap: number;
    if (left >= size) break;
    else if (right >= size) {
      if (values[off + left]! > value) swap = left;
      else break;
    } else if (values[off + left]! >= values[off + right]!) {
      if (value < values[off + left]!) swap = left;
      else break;
    } else if (value < values[off + right]!) swap = right;
    else break;
    values[off + current] = values[off + swap]!;
    indices[off + current] = indices[off + swap]!;
    current = swap;
  }
  values[off + current] = value;
  indices[off + current] = index;
}

/**
 * Sorts `values[off … off+size)` ascending, applying the same swaps to `indices`: scikit-learn's
 * recursive quicksort (median-of-three pivot), which is not stable — the order it leaves among
 * equal values is part of what we reproduce.
 */
export function simultaneousSort(
  values: Float64Array,
  indices: Int32Array,
  off: number,
  size: number,
): void {
  if (size <= 1) return;
  if (size === 2) {
    if (values[off]! > values[off + 1]!) dualSwap(values, indices, off, off + 1);
    return;
  }
  if (size === 3) {
    if (values[off]! > values[off + 1]!) dualSwap(values, indices, off, off + 1);
    if (values[off + 1]! > values[off + 2]!) {
      dualSwap(values, indices, off + 1, off + 2);
      if (values[off]! > values[off + 1]!) dualSwap(values, indices, off, off + 1);
    }
    return;
  }
  const last = off + size - 1;
  const mid = off + (size >> 1);
  if (values[off]! > values[last]!) dualSwap(values, indices, off, last);
  if (values[last]! > values[mid]!) {
    dualSwap(values, indices, last, mid);
    if (values[off]! > values[last]!) dualSwap(values, indices, off, last);
  }
  const pivot = values[last]!;
  let store = off;
  for (let i = off; i < last; i++) {
    if (values[i]! < pivot) {
      dualSwap(values, indices, i, store);
      store++;
    }
  }
  dualSwap(values, indices, store, last);
  const p = store - off;
  if (p > 1) simultaneousSort(values, indices, off, p);
  if (p + 2 < size) simultaneousSort(values, indices, store + 1, size - p - 1);
}

function dualSwap(values: Float64Array, indices: Int32Array, a: number, b: number): void {
  const v = values[a]!;
  values[a] = values[b]!;
  values[b] = v;
  const i = indices[a]!;
  indices[a] = indices[b]!;
  indices[b] = i;
}
