import { heapPush, simultaneousSort } from './neighbor-heap.js';
import { nthElement } from './nth-element.js';

/** Points per leaf (at most twice this): scikit-learn's default, so the trees are identical. */
export const KD_TREE_LEAF_SIZE = 30;

/**
 * An exact k-nearest-neighbour index for the Euclidean distance: a KD-tree (Bentley,
 * "Multidimensional binary search trees used for associative searching", CACM 18(9), 1975;
 * Friedman, Bentley & Finkel, "An algorithm for finding best matches in logarithmic expected
 * time", ACM TOMS 3(3), 1977).
 *
 * The tree is scikit-learn's `KDTree(leaf_size=30)` node for node: a complete binary tree of
 * ⌊log2(max(1, (n−1)/30))⌋ + 1 levels in implicit layout (children of node i at 2i+1, 2i+2); each
 * node splits its points at the median of the dimension of largest spread, ordered by value then
 * row index, by the same `nth_element`; every node stores the bounding box of its points.
 * Queries walk it depth first, nearer child first (the left one on a tie), with scikit-learn's
 * heap. Any exact search finds the same distances, but the *choice* among points at exactly the
 * k-th distance depends on the order points are met and on the heap's sift rules; reproducing
 * both gives the same neighbour indices as scikit-learn, hence the same LOF scores on data with
 * duplicate rows and integer grids.
 *
 * Where we differ is speed, never results: points are stored permuted into tree order (a leaf is
 * one contiguous block, no index indirection); a subtree is skipped when its lower bound merely
 * equals the current k-th distance (scikit-learn still scans it, but no point in it can enter the
 * heap, which rejects values ≥ its largest — this is what keeps heavy duplicates from costing
 * O(m²)); training rows are queried in tree order, so consecutive queries touch the same nodes.
 *
 * All arrays are typed arrays; distances are squared inside.
 *
 * @example
 * const tree = new KDTree(data, n, d);
 * const dist2 = new Float64Array(n * 6);
 * const ind = new Int32Array(n * 6);
 * tree.queryTraining(6, dist2, ind); // each row's 6 nearest rows, itself included
 */
export class KDTree {
  readonly levels: number;
  readonly nodes: number;
  /** The training rows permuted into tree order, row-major. */
  readonly points: Float64Array;
  /** `order[p]`: the training row stored at tree position p. */
  readonly order: Int32Array;
  /** Node i holds tree positions `start[i] … end[i]`. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Node i's box: lower bounds at `box[2·d·i …]`, upper bounds at `box[2·d·i + d …]`. */
  readonly box: Float64Array;
  /** Nodes from this index on are the leaves. */
  readonly firstLeaf: number;

  /**
   * Builds the tree over the `rows × cols` row-major matrix `data` (which is not kept).
   * `rows` must be at least 1.
   */
  constructor(
    data: Float64Array,
    readonly rows: number,
    readonly cols: number,
  ) {
    const n = rows;
    const d = cols;
    this.levels = Math.floor(Math.log2(Math.max(1, (n - 1) / KD_TREE_LEAF_SIZE))) + 1;
    this.nodes = 2 ** this.levels - 1;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const start = new Int32Array(this.nodes);
    const end = new Int32Array(this.nodes);
    const box = new Float64Array(2 * d * this.nodes);
    const keys = new Float64Array(n);
    // The level count leaves every internal node at least 60 points: all nodes split down to
    // the last level, which holds the leaves in position order.
    this.firstLeaf = (this.nodes - 1) >> 1;
    end[0] = n;
    // `points` holds the rows in the current position order. Each split permutes a node's range
    // only, so the next order is gathered range by range from the previous one: reads stay within
    // the node, which fits in cache below the first few levels.
    let points = Float64Array.from(data);
    let next = new Float64Array(n * d);
    const from = new Int32Array(n);
    for (let i = 0; i < this.nodes; i++) {
      const s = start[i]!;
      const e = end[i]!;
      const b = 2 * d * i;
      for (let j = 0; j < d; j++) {
        box[b + j] = Infinity;
        box[b + d + j] = -Infinity;
      }
      for (let p = s * d; p < e * d; p += d) {
        for (let j = 0; j < d; j++) {
          const v = points[p + j]!;
          if (v < box[b + j]!) box[b + j] = v;
          if (v > box[b + d + j]!) box[b + d + j] = v;
        }
      }
      if (i >= this.firstLeaf) continue;
      // The first dimension of largest spread (scikit-learn's find_node_split_dim).
      let dim = 0;
      let spread = 0;
      for (let j = 0; j < d; j++) {
        const w = box[b + d + j]! - box[b + j]!;
        if (w > spread) {
          spread = w;
          dim = j;
        }
      }
      for (let p = s; p < e; p++) {
        keys[p] = points[p * d + dim]!;
        from[p] = p;
      }
      const mid = s + ((e - s) >> 1);
      nthElement(keys, order, s, mid, e, from);
      for (let p = s; p < e; p++) {
        for (let r = from[p]! * d, o = p * d, j = 0; j < d; j++) next[o + j] = points[r + j]!;
      }
      start[2 * i + 1] = s;
      end[2 * i + 1] = mid;
      start[2 * i + 2] = mid;
      end[2 * i + 2] = e;
      // The last node of a level has been split: the next level reads the new order.
      if (((i + 2) & (i + 1)) === 0) [points, next] = [next, points];
    }
    this.points = points;
    this.order = order;
    this.start = start;
    this.end = end;
    this.box = box;
  }

  /**
   * The `k` nearest training rows of each of the `m` query rows in `queries` (row-major, `cols`
   * wide): squared distances ascending in `dist2[q·k …]`, training row indices in `ind[q·k …]`.
   * `k` must not exceed the number of training rows.
   */
  query(queries: Float64Array, m: number, k: number, dist2: Float64Array, ind: Int32Array): void {
    const d = this.cols;
    const search = new Search(this.levels, d, k, dist2, ind);
    const { q } = search;
    for (let r = 0; r < m; r++) {
      search.off = r * k;
      dist2.fill(Infinity, r * k, r * k + k);
      for (let j = 0; j < d; j++) q[j] = queries[r * d + j]!;
      descend(this, search, 0, boxDistance(this.box, 0, d, q, Infinity));
      simultaneousSort(dist2, ind, r * k, k);
    }
  }

  /**
   * Like {@link KDTree.query} with the training rows themselves as queries (each row is among its
   * own neighbours, at distance 0); results go to the rows' original positions.
   *
   * Each search starts in the row's own leaf, which gives a tight bound at once and skips the
   * descent. The order in which points are met is still exactly the root-first depth-first order:
   * on the path from the root, the child holding the row is at distance 0, so it comes first
   * unless it is a right child whose left sibling is at distance 0 too; such siblings are searched
   * before the leaf, every other sibling after it, deepest first. Rows are visited in tree order,
   * so consecutive searches touch the same nodes.
   */
  queryTraining(k: number, dist2: Float64Array, ind: Int32Array): void {
    const { points, order, start, end, box, firstLeaf, cols: d } = this;
    const search = new Search(this.levels, d, k, dist2, ind);
    const { q } = search;
    const h = this.levels - 1;
    // path[1 … h]: the nodes from depth 1 down to the current leaf; before[i]: whether path[i]'s
    // sibling is searched before the leaf.
    const path = new Int32Array(h + 1);
    const before = new Uint8Array(h + 1);
    for (let L = firstLeaf; L < this.nodes; L++) {
      for (let a = L, i = h; i >= 1; i--, a = (a - 1) >> 1) path[i] = a;
      for (let p = start[L]!; p < end[L]!; p++) {
        const off = order[p]! * k;
        search.off = off;
        dist2.fill(Infinity, off, off + k);
        for (let j = 0; j < d; j++) q[j] = points[p * d + j]!;
        for (let i = 1; i <= h; i++) {
          const a = path[i]!;
          // Is a a right child whose left sibling is at distance 0? (Any positive term stops the sum.)
          before[i] =
            (a & 1) === 0 && boxDistance(box, a - 1, d, q, Number.MIN_VALUE) === 0 ? 1 : 0;
          if (before[i] === 1) descend(this, search, a - 1, 0);
        }
        if (dist2[off]! > 0) scanLeaf(points, order, start[L]!, end[L]!, d, q, k, dist2, ind, off);
        for (let i = h; i >= 1; i--) {
          if (before[i] === 1) continue;
          const a = path[i]!;
          const sibling = (a & 1) === 1 ? a + 1 : a - 1;
          const bound = boxDistance(box, sibling, d, q, dist2[off]!);
          if (bound < dist2[off]!) descend(this, search, sibling, bound);
        }
        simultaneousSort(dist2, ind, off, k);
      }
    }
  }
}

/** One query in progress: its row, its heap (k slots of `dist2/ind` at `off`), a stack. */
class Search {
  readonly q: Float64Array;
  /** Depth-first stack: at most one pending sibling per level, plus the node in hand. */
  readonly nodes: Int32Array;
  readonly bounds: Float64Array;
  off = 0;

  constructor(
    levels: number,
    d: number,
    readonly k: number,
    readonly dist2: Float64Array,
    readonly ind: Int32Array,
  ) {
    this.q = new Float64Array(d);
    this.nodes = new Int32Array(2 * levels + 2);
    this.bounds = new Float64Array(2 * levels + 2);
  }
}

/**
 * Depth-first search of the subtree at `root`, whose box is at squared distance `rootBound`
 * (scikit-learn's `_query_single_depthfirst` with an explicit stack), offering points to the
 * search's heap.
 */
function descend(tree: KDTree, search: Search, root: number, rootBound: number): void {
  const { points, order, start, end, box, firstLeaf, cols: d } = tree;
  const { q, k, dist2, ind, off, nodes: stackNode, bounds: stackBound } = search;
  stackNode[0] = root;
  stackBound[0] = rootBound;
  let sp = 1;
  while (sp > 0) {
    sp--;
    const node = stackNode[sp]!;
    // A bound equal to the largest kept value already excludes every point below (see class doc).
    if (stackBound[sp]! >= dist2[off]!) continue;
    if (node >= firstLeaf) {
      scanLeaf(points, order, start[node]!, end[node]!, d, q, k, dist2, ind, off);
      continue;
    }
    // Both children's box distances at once: two independent chains of additions.
    const c = 2 * node + 1;
    const o1 = 2 * d * c;
    const o2 = o1 + 2 * d;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const v = q[j]!;
      const l1 = box[o1 + j]! - v;
      const h1 = v - box[o1 + d + j]!;
      const l2 = box[o2 + j]! - v;
      const h2 = v - box[o2 + d + j]!;
      const t1 = 0.5 * (l1 + Math.abs(l1) + (h1 + Math.abs(h1)));
      const t2 = 0.5 * (l2 + Math.abs(l2) + (h2 + Math.abs(h2)));
      s1 += t1 * t1;
      s2 += t2 * t2;
    }
    // Push the farther child first so the nearer one is searched first (left on a tie).
    if (s1 <= s2) {
      stackNode[sp] = c + 1;
      stackBound[sp++] = s2;
      stackNode[sp] = c;
      stackBound[sp++] = s1;
    } else {
      stackNode[sp] = c;
      stackBound[sp++] = s1;
      stackNode[sp] = c + 1;
      stackBound[sp++] = s2;
    }
  }
}

/**
 * Offers the points at tree positions `s … e` to the heap, in order. Squared distances are summed
 * feature by feature as scikit-learn does (so they are bit-identical to its); four points at a
 * time, as four independent chains of additions.
 */
function scanLeaf(
  points: Float64Array,
  order: Int32Array,
  s: number,
  e: number,
  d: number,
  q: Float64Array,
  k: number,
  dist2: Float64Array,
  ind: Int32Array,
  off: number,
): void {
  let p = s;
  let b0 = s * d;
  for (; p + 3 < e; p += 4, b0 += 4 * d) {
    const b1 = b0 + d;
    const b2 = b1 + d;
    const b3 = b2 + d;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0; j < d; j++) {
      const v = q[j]!;
      const t0 = v - points[b0 + j]!;
      const t1 = v - points[b1 + j]!;
      const t2 = v - points[b2 + j]!;
      const t3 = v - points[b3 + j]!;
      a0 += t0 * t0;
      a1 += t1 * t1;
      a2 += t2 * t2;
      a3 += t3 * t3;
    }
    if (a0 < dist2[off]!) heapPush(dist2, ind, off, k, a0, order[p]!);
    if (a1 < dist2[off]!) heapPush(dist2, ind, off, k, a1, order[p + 1]!);
    if (a2 < dist2[off]!) heapPush(dist2, ind, off, k, a2, order[p + 2]!);
    if (a3 < dist2[off]!) heapPush(dist2, ind, off, k, a3, order[p + 3]!);
  }
  for (; p < e; p++, b0 += d) {
    let a = 0;
    for (let j = 0; j < d; j++) {
      const t = q[j]! - points[b0 + j]!;
      a += t * t;
    }
    if (a < dist2[off]!) heapPush(dist2, ind, off, k, a, order[p]!);
  }
}

/**
 * Squared distance from q to node's box, rounded exactly as scikit-learn's `min_rdist` computes
 * it: ((lo + |lo|) + (hi + |hi|)) / 2 per feature, squared, summed in feature order. Stops as soon
 * as the partial sum reaches `limit` (the terms are non-negative, so the full sum could only be
 * larger): pass the current k-th distance to test for pruning, `Infinity` for the exact value.
 */
function boxDistance(
  box: Float64Array,
  node: number,
  d: number,
  q: Float64Array,
  limit: number,
): number {
  const b = 2 * d * node;
  let s = 0;
  for (let j = 0; j < d && s < limit; j++) {
    const v = q[j]!;
    const lo = box[b + j]! - v;
    const hi = v - box[b + d + j]!;
    const t = 0.5 * (lo + Math.abs(lo) + (hi + Math.abs(hi)));
    s += t * t;
  }
  return s;
}
