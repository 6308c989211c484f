/**
 * Partial sort of `(keys[p], ids[p])` pairs so that position `nth` holds the pair that a full sort
 * would put there, every pair before it is smaller and every pair after it larger. Pairs are
 * ordered by key, then by id, so the order is total and the split is unique.
 *
 * This is the introselect of GCC's libstdc++ (`std::nth_element`: median-of-three quickselect, a
 * heap select once the depth limit 2·⌊log2 n⌋ is spent, insertion sort below four elements),
 * step for step. scikit-learn builds its KD-tree with exactly this call and comparator
 * (`_partition_nodes.pyx`); reproducing it gives the same order of points inside every leaf, and
 * so the same choice among equidistant neighbours (see `KDTree`).
 *
 * Musser, "Introspective Sorting and Selection Algorithms", Software: Practice and Experience 27(8), 1997.
 *
 * @example
 * const keys = Float64Array.of(3, 1, 2);
 * const ids = Int32Array.of(0, 1, 2);
 * nthElement(keys, ids, 0, 1, 3); // keys[1] === 2
 *
 * @param carry - optional third array permuted along with the pairs (not compared).
 */
export function nthElement(
  keys: Float64Array,
  ids: Int32Array,
  first: number,
  nth: number,
  last: number,
  carry: Int32Array = ids,
): void {
  if (first === last || nth === last) return;
  const s = new Selector(keys, ids, carry === ids ? undefined : carry);
  s.introselect(first, nth, last, 2 * (31 - Math.clz32(last - first)));
}

/** The steps of libstdc++'s `stl_algo.h` and `stl_heap.h`, on positions of the pair arrays. */
class Selector {
  constructor(
    private readonly k: Float64Array,
    private readonly id: Int32Array,
    private readonly c: Int32Array | undefined,
  ) {}

  introselect(first: number, nth: number, last: number, depthLimit: number): void {
    while (last - first > 3) {
      if (depthLimit === 0) {
        this.heapSelect(first, nth + 1, last);
        this.swap(first, nth);
        return;
      }
      depthLimit--;
      const cut = this.unguardedPartitionPivot(first, last);
      if (cut <= nth) first = cut;
      else last = cut;
    }
    this.insertionSort(first, last);
  }

  /** Pair at p < pair at q. */
  private less(p: number, q: number): boolean {
    const a = this.k[p]!;
    const b = this.k[q]!;
    return a === b ? this.id[p]! < this.id[q]! : a < b;
  }

  /** (key, id) < pair at q. */
  private lessValue(key: number, id: number, q: number): boolean {
    const b = this.k[q]!;
    return key === b ? id < this.id[q]! : key < b;
  }

  /** Pair at p < (key, id). */
  private lessThanValue(p: number, key: number, id: number): boolean {
    const a = this.k[p]!;
    return a === key ? this.id[p]! < id : a < key;
  }

  private swap(p: number, q: number): void {
    const k = this.k[p]!;
    this.k[p] = this.k[q]!;
    this.k[q] = k;
    const i = this.id[p]!;
    this.id[p] = this.id[q]!;
    this.id[q] = i;
    const c = this.c;
    if (c !== undefined) {
      const v = c[p]!;
      c[p] = c[q]!;
      c[q] = v;
    }
  }

  private move(to: number, from: number): void {
    this.k[to] = this.k[from]!;
    this.id[to] = this.id[from]!;
    if (this.c !== undefined) this.c[to] = this.c[from]!;
  }

  /** Writes the pair (key, id) and carried value c at position p. */
  private put(p: number, key: number, id: number, c: number): void {
    this.k[p] = key;
    this.id[p] = id;
    if (this.c !== undefined) this.c[p] = c;
  }

  private carried(p: number): number {
    return this.c === undefined ? 0 : this.c[p]!;
  }

  private unguardedPartitionPivot(first: number, last: number): number {
    const mid = first + ((last - first) >> 1);
    this.moveMedianToFirst(first, first + 1, mid, last - 1);
    return this.unguardedPartition(first + 1, last, first);
  }

  private moveMedianToFirst(result: number, a: number, b: number, c: number): void {
    if (this.less(a, b)) {
      if (this.less(b, c)) this.swap(result, b);
      else if (this.less(a, c)) this.swap(result, c);
      else this.swap(result, a);
    } else if (this.less(a, c)) this.swap(result, a);
    else if (this.less(b, c)) this.swap(result, c);
    else this.swap(result, b);
  }

  private unguardedPartition(first: number, last: number, pivot: number): number {
    for (;;) {
      while (this.less(first, pivot)) first++;
      last--;
      while (this.less(pivot, last)) last--;
      if (!(first < last)) return first;
      this.swap(first, last);
      first++;
    }
  }

  private insertionSort(first: number, last: number): void {
    if (first === last) return;
    for (let i = first + 1; i < last; i++) {
      const key = this.k[i]!;
      const id = this.id[i]!;
      const c = this.carried(i);
      if (this.lessValue(key, id, first)) {
        for (let j = i; j > first; j--) this.move(j, j - 1);
        this.put(first, key, id, c);
      } else {
        let hole = i;
        while (this.lessValue(key, id, hole - 1)) {
          this.move(hole, hole - 1);
          hole--;
        }
        this.put(hole, key, id, c);
      }
    }
  }

  private heapSelect(first: number, middle: number, last: number): void {
    this.makeHeap(first, middle);
    for (let i = middle; i < last; i++) {
      if (this.less(i, first)) this.popHeap(first, middle, i);
    }
  }

  private makeHeap(first: number, last: number): void {
    const len = last - first;
    if (len < 2) return;
    for (let parent = (len - 2) >> 1; ; parent--) {
      const at = first + parent;
      this.adjustHeap(first, parent, len, this.k[at]!, this.id[at]!, this.carried(at));
      if (parent === 0) return;
    }
  }

  private popHeap(first: number, last: number, result: number): void {
    const key = this.k[result]!;
    const id = this.id[result]!;
    const c = this.carried(result);
    this.move(result, first);
    this.adjustHeap(first, 0, last - first, key, id, c);
  }

  private adjustHeap(
    first: number,
    hole: number,
    len: number,
    key: number,
    id: number,
    c: number,
  ): void {
    const top = hole;
    let child = hole;
    while (child < (len - 1) >> 1) {
      child = 2 * (child + 1);
      if (this.less(first + child, first + child - 1)) child--;
      this.move(first + hole, first + child);
      hole = child;
    }
    if ((len & 1) === 0 && child === (len - 2) >> 1) {
      child = 2 * (child + 1);
      this.move(first + hole, first + child - 1);
      hole = child - 1;
    }
    // __push_heap: C++ truncates (hole - 1) / 2 toward zero.
    let parent = Math.trunc((hole - 1) / 2);
    while (hole > top && this.lessThanValue(first + parent, key, id)) {
      this.move(first + hole, first + parent);
      hole = parent;
      parent = Math.trunc((hole - 1) / 2);
    }
    this.put(first + hole, key, id, c);
  }
}
