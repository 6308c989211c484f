import { Detector, SEED_PARAM_SPEC, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { Random } from '../core/random.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { ISOLATION_FOREST_PARAMS } from './isolation-forest.js';
import { averagePathLength } from './path-length.js';
import { drawSubsample } from './subsample.js';

export interface ExtendedIsolationForestParams {
  /** Number of trees. */
  nEstimators: number;
  /** Rows drawn (without replacement) to grow each tree, ψ; capped at the number of rows. */
  maxSamples: number;
  /** Height limit; `null` means ⌈log2 ψ⌉ (as the isolation forest). */
  maxDepth: number | null;
  /**
   * Non-zero components of each split's normal vector, minus one: 0 gives axis-parallel splits,
   * d − 1 fully oblique ones; `null` means d − 1 (fully extended).
   */
  extensionLevel: number | null;
  seed: number;
}

export const EXTENDED_ISOLATION_FOREST_PARAMS = {
  nEstimators: ISOLATION_FOREST_PARAMS.nEstimators,
  maxSamples: ISOLATION_FOREST_PARAMS.maxSamples,
  maxDepth: {
    type: 'integer',
    description: 'Height limit of each tree; null means ceil(log2 ψ).',
    default: null,
    minimum: 1,
    // ⌈log2 ψ⌉ reaches 20 at the largest maxSamples; the scoring layout holds only real nodes,
    // so a deep limit costs no memory.
    maximum: 32,
    nullable: true,
  },
  extensionLevel: {
    type: 'integer',
    description:
      'Number of features, besides one, that each split hyperplane may combine: 0 gives axis-parallel splits (the standard isolation forest), d - 1 fully oblique ones; null means d - 1. Must be below the number of features.',
    default: null,
    minimum: 0,
    maximum: 100_000,
    nullable: true,
  },
  ...SEED_PARAM_SPEC,
} as const satisfies ParamSpecs;

/** Rows walking a tree together, interleaved (see `denseDepthSums`). */
const LANES = 4;
/** Rows scored together tree by tree (a multiple of LANES): a tree's nodes stay in cache. */
const BLOCK_ROWS = 128 * LANES;

/**
 * Extended isolation forest (Hariri, Carrasco Kind & Brunner, "Extended Isolation Forest",
 * IEEE TKDE 2021; arXiv:1811.02141, 2018).
 *
 * An isolation forest whose splits are random hyperplanes instead of axis-parallel cuts. Each
 * tree is grown on ψ rows drawn without replacement. A node draws a normal vector n with N(0, 1)
 * components, of which d − 1 − extensionLevel are set to zero at random, and an intercept point
 * p uniform in the node's bounding box; a row x goes left when (x − p)·n ≤ 0, i.e. x·n ≤ b with
 * b = n·p. Splitting stops when a node holds one row, all its rows are identical, or the height
 * limit is reached. With h(x) the depth of the leaf x reaches plus c(size of the leaf):
 *
 *   score(x) = 2^(−E[h(x)] / c(ψ))
 *
 * in (0, 1]; higher = more anomalous — exactly the isolation forest's score. Axis-parallel cuts
 * leave bands and "ghost" clusters of low scores where the projections of the data overlap (at
 * (0, 0) for blobs at (0, 10) and (10, 0)); random slopes remove them.
 *
 * Unlike the isolation forest, the splits depend on the features' scales: the normal's
 * components are drawn in the data's units, so a feature with a wide range tilts every hyperplane
 * towards itself. With features in different units, set `scaling` (e.g. `'standard'`).
 *
 * Where the paper's reference implementation leaves room, this one follows the isolation forest:
 *
 * - The first non-zero component goes to a feature drawn uniformly among those that vary in the
 *   node (drawn without replacement, skipping constant ones), the others to features drawn
 *   uniformly among the rest: a hyperplane on constant features alone could separate nothing.
 * - With one non-zero component only its sign matters, and mirroring a split leaves the
 *   distribution of trees unchanged, so that component is +1 and the intercept is drawn as the
 *   isolation forest draws its threshold: extensionLevel 0 grows the very trees of
 *   `IsolationForest` with the same seed, and gives identical scores.
 * - A node whose rows are all identical is a leaf (the reference splits it down to the height
 *   limit, adding depth that isolates nothing).
 *
 * As in the paper, a hyperplane may miss every row of its node: the empty side becomes a leaf of
 * size 0 (a row reaching it later is isolated there) and the other side goes on one level deeper,
 * so splitting always ends, at the latest at the height limit.
 *
 * Scoring is the fast path: each split is stored as its offset b and its non-zero normal
 * components, and a step is one dot product and one comparison, summed in the same order as in
 * `fit`, so training scores equal `score` of the training rows bit for bit. Blocks of rows walk
 * each tree in turn, several rows interleaved, over flat typed arrays in which each node lists
 * its two children side by side and a leaf is its own child: every walk takes the tree's height
 * in steps, without a branch.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` from the constructor for invalid parameters, and
 *   from `fit` when `extensionLevel` is not below the number of features.
 *
 * @example
 * const forest = new ExtendedIsolationForest({ seed: 7, scaling: 'standard' }).fit(X);
 * const scores = forest.score(newRows); // higher = more anomalous
 */
export class ExtendedIsolationForest extends Detector<ExtendedIsolationForestParams> {
  readonly algorithm = 'eif';
  private trees: HyperplaneTrees | undefined;
  private compiled: CompiledForest | undefined;

  constructor(params: Partial<ExtendedIsolationForestParams & CommonParams> = {}) {
    super('eif', EXTENDED_ISOLATION_FOREST_PARAMS, params);
  }

  protected fitModel(X: Matrix): Float64Array {
    const { nEstimators, maxSamples, maxDepth, extensionLevel, seed } = this.params;
    const d = X.cols;
    const level = extensionLevel ?? d - 1;
    check(
      level <= d - 1,
      `parameter 'extensionLevel' of eif must be below the number of features (${d}), got ${level}`,
    );
    const psi = Math.min(maxSamples, X.rows);
    const depth = maxDepth ?? defaultDepth(psi);
    const rng = new Random(seed);
    const builder = new TreeBuilder(d, psi, depth, level);
    for (let t = 0; t < nEstimators; t++) builder.grow(X, rng.fork());
    this.trees = builder.finish();
    this.compiled = compile(this.trees, d);
    return this.compiled.score(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    if (this.compiled === undefined)
      throw new Error('internal error: extended isolation forest not compiled');
    return this.compiled.score(X);
  }

  protected saveState(): Record<string, unknown> {
    const t = this.trees;
    if (t === undefined) throw new Error('internal error: extended isolation forest has no trees');
    return {
      samples: t.samples,
      maxDepth: t.depth,
      extensionLevel: t.extensionLevel,
      treeSizes: encodeArray(t.treeSizes),
      node: encodeArray(t.node),
      offset: encodeArray(t.offset),
      normal: encodeArray(t.normal),
      ...(t.axes === null ? {} : { axes: encodeArray(t.axes) }),
    };
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const trees = readTrees(state, nFeatures, this.params);
    this.trees = trees;
    this.compiled = compile(trees, nFeatures);
  }
}

function defaultDepth(psi: number): number {
  return Math.max(1, Math.ceil(Math.log2(psi)));
}

/**
 * The trees as stored in model documents, each tree's nodes in preorder (left subtree first).
 * With K = extensionLevel + 1 non-zero components per normal:
 *
 * - `node[k]`: −1 when node k is a split, else the number of training rows in leaf k;
 * - `offset[s]`: b = n·p of the s-th split (x goes left when x·n ≤ b);
 * - `normal[s·K … s·K + K)`: its non-zero normal components;
 * - `axes[s·K … s·K + K)`: their features, ascending — `null` when K = d (all features in order).
 */
interface HyperplaneTrees {
  samples: number;
  depth: number;
  extensionLevel: number;
  treeSizes: Int32Array;
  node: Int32Array;
  offset: Float64Array;
  normal: Float64Array;
  axes: Int32Array | null;
}

/** Grows extended isolation trees on sub-samples, appending them in preorder. */
class TreeBuilder {
  private readonly node: number[] = [];
  private readonly offset: number[] = [];
  private readonly normal: number[] = [];
  private readonly axes: number[] = [];
  private readonly sizes: number[] = [];
  /** Non-zero components per normal. */
  private readonly K: number;
  private readonly buf: Float64Array;
  private readonly idx: Int32Array;
  private readonly features: Int32Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** The current split: its features (ascending), normal components and offset. */
  private readonly active: Int32Array;
  private readonly coef: Float64Array;
  private b = 0;

  constructor(
    private readonly d: number,
    private readonly psi: number,
    private readonly depth: number,
    extensionLevel: number,
  ) {
    this.K = extensionLevel + 1;
    this.buf = new Float64Array(psi * d);
    this.idx = new Int32Array(psi);
    this.features = new Int32Array(d);
    this.lo = new Float64Array(d);
    this.hi = new Float64Array(d);
    this.active = new Int32Array(this.K);
    this.coef = new Float64Array(this.K);
  }

  grow(X: Matrix, rng: Random): void {
    const { psi } = this;
    drawSubsample(X, psi, rng, this.buf, this.idx);
    const before = this.node.length;
    this.split(0, psi, 0, rng);
    this.sizes.push(this.node.length - before);
  }

  finish(): HyperplaneTrees {
    return {
      samples: this.psi,
      depth: this.depth,
      extensionLevel: this.K - 1,
      treeSizes: Int32Array.from(this.sizes),
      node: Int32Array.from(this.node),
      offset: Float64Array.from(this.offset),
      normal: Float64Array.from(this.normal),
      axes: this.K === this.d ? null : Int32Array.from(this.axes),
    };
  }

  private split(start: number, end: number, depth: number, rng: Random): void {
    const n = end - start;
    if (depth >= this.depth || n <= 1 || !this.drawHyperplane(start, end, rng)) {
      this.node.push(n);
      return;
    }
    const { d, K, buf, idx, active, coef, b } = this;
    let mid = start;
    for (let k = start; k < end; k++) {
      const r = idx[k]!;
      const o = r * d;
      // The same sum, in the same order, as the scoring kernels: training rows land in the
      // leaves they are scored in.
      let s = 0;
      for (let m = 0; m < K; m++) s += coef[m]! * buf[o + active[m]!]!;
      if (s <= b) {
        idx[k] = idx[mid]!;
        idx[mid++] = r;
      }
    }
    this.node.push(-1);
    this.offset.push(b);
    for (let m = 0; m < K; m++) {
      this.normal.push(coef[m]!);
      if (K < d) this.axes.push(active[m]!);
    }
    this.split(start, mid, depth + 1, rng);
    this.split(mid, end, depth + 1, rng);
  }

  /**
   * Draws the split of the node holding rows idx[start … end) into `active`, `coef` and `b`;
   * false when there is none (all rows identical, or an offset beyond the float64 range).
   */
  private drawHyperplane(start: number, end: number, rng: Random): boolean {
    const { d, K, buf, idx, lo, hi, features, active, coef } = this;
    lo.fill(Infinity);
    hi.fill(-Infinity);
    for (let k = start; k < end; k++) {
      const o = idx[k]! * d;
      for (let f = 0; f < d; f++) {
        const v = buf[o + f]!;
        if (v < lo[f]!) lo[f] = v;
        if (v > hi[f]!) hi[f] = v;
      }
    }
    if (K === d && K > 1) {
      let varies = false;
      for (let f = 0; f < d; f++) {
        active[f] = f;
        if (hi[f]! > lo[f]!) varies = true;
      }
      if (!varies) return false;
    } else {
      for (let f = 0; f < d; f++) features[f] = f;
      // The isolation forest's draw: features without replacement until one varies in the node.
      let drawn = 0;
      for (; drawn < d; drawn++) {
        const pick = drawn + rng.int(d - drawn);
        const f = features[pick]!;
        features[pick] = features[drawn]!;
        features[drawn] = f;
        if (hi[f]! > lo[f]!) break;
      }
      if (drawn === d) return false;
      swap(features, 0, drawn);
      // The other K − 1 features: uniform among the rest (a partial Fisher–Yates shuffle).
      for (let m = 1; m < K; m++) swap(features, m, m + rng.int(d - m));
      // Ascending features fix the order of the dot product's terms, in fit and in scoring.
      for (let m = 0; m < K; m++) {
        const f = features[m]!;
        let p = m;
        for (; p > 0 && active[p - 1]! > f; p--) active[p] = active[p - 1]!;
        active[p] = f;
      }
    }
    if (K === 1) {
      const f = active[0]!;
      let t = lo[f]! + (hi[f]! - lo[f]!) * rng.uniform();
      // As the isolation forest: never let the threshold equal the maximum (an empty right child);
      // written so that a NaN from an overflowing range falls back too.
      if (!(t < hi[f]!)) t = lo[f]!;
      coef[0] = 1;
      this.b = t;
      return true;
    }
    for (let m = 0; m < K; m++) coef[m] = rng.normal();
    let b = 0;
    for (let m = 0; m < K; m++) {
      const f = active[m]!;
      b += coef[m]! * (lo[f]! + (hi[f]! - lo[f]!) * rng.uniform());
    }
    if (!Number.isFinite(b)) return false;
    this.b = b;
    return true;
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

const STATE_FIELDS = new Set([
  'samples',
  'maxDepth',
  'extensionLevel',
  'treeSizes',
  'node',
  'offset',
  'normal',
  'axes',
]);

/** Decodes and checks the stored trees: a malformed document fails here, not while scoring. */
function readTrees(
  state: Record<string, unknown>,
  d: number,
  params: ExtendedIsolationForestParams,
): HyperplaneTrees {
  for (const key of Object.keys(state))
    check(STATE_FIELDS.has(key), `unknown state field '${key}'`);
  const samples = state['samples'];
  const depth = state['maxDepth'];
  const level = state['extensionLevel'];
  check(
    typeof samples === 'number' &&
      Number.isInteger(samples) &&
      samples >= 2 &&
      samples <= params.maxSamples,
    `samples must be an integer in [2, maxSamples = ${params.maxSamples}]`,
  );
  const expectedDepth = params.maxDepth ?? defaultDepth(samples);
  check(depth === expectedDepth, `maxDepth must be ${expectedDepth}, got ${String(depth)}`);
  const expectedLevel = params.extensionLevel ?? d - 1;
  check(
    level === expectedLevel && expectedLevel <= d - 1,
    `extensionLevel must be ${expectedLevel} and below the ${d} features, got ${String(level)}`,
  );
  const K = expectedLevel + 1;
  const treeSizes = decodeArray(state['treeSizes'], 'int32', 'state.treeSizes', params.nEstimators);
  let total = 0;
  for (const size of treeSizes) {
    check(size >= 1, 'a tree has no nodes');
    total += size;
  }
  const node = decodeArray(state['node'], 'int32', 'state.node', total);
  let splits = 0;
  for (const v of node) {
    check(v >= -1, 'a node must be -1 (a split) or a leaf row count');
    if (v === -1) splits++;
  }
  const offset = decodeArray(state['offset'], 'float64', 'state.offset', splits);
  const normal = decodeArray(state['normal'], 'float64', 'state.normal', splits * K);
  for (const v of offset) check(Number.isFinite(v), 'a split offset is not finite');
  for (const v of normal) check(Number.isFinite(v), 'a normal component is not finite');
  let axes: Int32Array | null = null;
  if (K < d) {
    axes = decodeArray(state['axes'], 'int32', 'state.axes', splits * K);
    for (let s = 0; s < splits; s++) {
      for (let m = 0; m < K; m++) {
        const f = axes[s * K + m]!;
        check(f >= 0 && f < d, `a split uses feature ${f} of ${d}`);
        check(m === 0 || f > axes[s * K + m - 1]!, 'the features of a split must be ascending');
      }
    }
  } else {
    check(state['axes'] === undefined, 'a fully extended forest stores no axes');
  }
  let k = 0;
  for (const size of treeSizes) {
    const end = k + size;
    let rows = 0;
    const walk = (level: number): void => {
      check(k < end, 'a tree ends before all its nodes are defined');
      const v = node[k++]!;
      if (v >= 0) {
        rows += v;
        return;
      }
      check(level < expectedDepth, 'a tree is deeper than maxDepth');
      walk(level + 1);
      walk(level + 1);
    };
    walk(0);
    check(k === end, 'a tree has nodes beyond its last leaf');
    check(rows === samples, `the leaves of a tree hold ${rows} rows, not samples = ${samples}`);
  }
  return {
    samples,
    depth: expectedDepth,
    extensionLevel: expectedLevel,
    treeSizes,
    node,
    offset,
    normal,
    axes,
  };
}

/** The scoring form of a forest (see the class comment). */
interface CompiledForest {
  score(X: Matrix): Float64Array;
}

/**
 * Lays the trees out for scoring. Node ids: the S splits of all trees first, then the leaves,
 * each tree breadth first (the levels every row visits sit together). `next[2i]` / `next[2i + 1]`
 * are the left / right child of node i; a leaf is its own child. Splits keep their offset and
 * normal at their id; every leaf shares slot S, a zero normal with offset 0.
 */
function compile(trees: HyperplaneTrees, d: number): CompiledForest {
  const { treeSizes, node, offset, normal, axes } = trees;
  const K = trees.extensionLevel + 1;
  const T = treeSizes.length;
  const total = node.length;
  let S = 0;
  for (const v of node) if (v < 0) S++;
  const next = new Int32Array(2 * total);
  const off = new Float64Array(S + 1);
  const coef = new Float64Array((S + 1) * K);
  const axis = axes === null ? null : new Int32Array((S + 1) * K);
  const leafDepth = new Float64Array(total);
  const roots = new Int32Array(T);
  const heights = new Int32Array(T);

  // Per preorder position: its split ordinal (index into offset and normal), right child, level.
  const ordinal = new Int32Array(total);
  const right = new Int32Array(total);
  const level = new Int32Array(total);
  const id = new Int32Array(total);
  let splitCount = 0;
  const walk = (k: number, l: number): number => {
    level[k] = l;
    if (node[k]! >= 0) return k + 1;
    ordinal[k] = splitCount++;
    const r = walk(k + 1, l + 1);
    right[k] = r;
    return walk(r, l + 1);
  };

  let nextSplit = 0;
  let nextLeaf = S;
  let start = 0;
  const queue = new Int32Array(total);
  for (let t = 0; t < T; t++) {
    const end = start + treeSizes[t]!;
    walk(start, 0);
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const k = queue[head++]!;
      if (node[k]! >= 0) {
        id[k] = nextLeaf++;
      } else {
        id[k] = nextSplit++;
        queue[tail++] = k + 1;
        queue[tail++] = right[k]!;
      }
    }
    let height = 0;
    for (let k = start; k < end; k++) {
      const i = id[k]!;
      if (node[k]! >= 0) {
        next[2 * i] = i;
        next[2 * i + 1] = i;
        leafDepth[i] = level[k]! + averagePathLength(node[k]!);
        height = Math.max(height, level[k]!);
        continue;
      }
      next[2 * i] = id[k + 1]!;
      next[2 * i + 1] = id[right[k]!]!;
      const s = ordinal[k]!;
      off[i] = offset[s]!;
      coef.set(normal.subarray(s * K, s * K + K), i * K);
      if (axis !== null && axes !== null) axis.set(axes.subarray(s * K, s * K + K), i * K);
    }
    roots[t] = id[start]!;
    heights[t] = height;
    start = end;
  }
  const norm = averagePathLength(trees.samples) * T;

  return {
    score(X: Matrix): Float64Array {
      const n = X.rows;
      const out = new Float64Array(n);
      const acc = new Float64Array(BLOCK_ROWS);
      for (let first = 0; first < n; first += BLOCK_ROWS) {
        const m = Math.min(BLOCK_ROWS, n - first);
        if (axis === null) {
          denseDepthSums(coef, off, next, leafDepth, roots, heights, S, X.data, first, m, d, acc);
        } else {
          sparseDepthSums(
            coef,
            axis,
            K,
            off,
            next,
            leafDepth,
            roots,
            heights,
            S,
            X.data,
            first,
            m,
            d,
            acc,
          );
        }
        for (let r = 0; r < m; r++) out[first + r] = Math.pow(2, -acc[r]! / norm);
      }
      return out;
    },
  };
}

/**
 * acc[r] = Σ over trees of the depth credited to row first + r, for m rows of the row-major x,
 * with every normal dense (K = d). LANES rows walk a tree together as independent chains, which
 * hides the latency of each step's loads; lanes past the last row repeat it and are ignored.
 *
 * A standalone function with every input an argument, so the JIT keeps them in registers.
 */
function denseDepthSums(
  coef: Float64Array,
  off: Float64Array,
  next: Int32Array,
  leafDepth: Float64Array,
  roots: Int32Array,
  heights: Int32Array,
  S: number,
  x: Float64Array,
  first: number,
  m: number,
  d: number,
  acc: Float64Array,
): void {
  acc.fill(0);
  const last = (first + m - 1) * d;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    const H = heights[t]!;
    for (let g = 0; g < m; g += LANES) {
      const r0 = (first + g) * d;
      const r1 = Math.min(r0 + d, last);
      const r2 = Math.min(r0 + 2 * d, last);
      const r3 = Math.min(r0 + 3 * d, last);
      let i0 = root;
      let i1 = root;
      let i2 = root;
      let i3 = root;
      for (let l = 0; l < H; l++) {
        // Leaves (ids ≥ S) read the shared zero normal at slot S.
        const n0 = i0 < S ? i0 : S;
        const n1 = i1 < S ? i1 : S;
        const n2 = i2 < S ? i2 : S;
        const n3 = i3 < S ? i3 : S;
        const c0 = n0 * d;
        const c1 = n1 * d;
        const c2 = n2 * d;
        const c3 = n3 * d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < d; j++) {
          s0 += coef[c0 + j]! * x[r0 + j]!;
          s1 += coef[c1 + j]! * x[r1 + j]!;
          s2 += coef[c2 + j]! * x[r2 + j]!;
          s3 += coef[c3 + j]! * x[r3 + j]!;
        }
        i0 = next[2 * i0 + (s0 <= off[n0]! ? 0 : 1)]!;
        i1 = next[2 * i1 + (s1 <= off[n1]! ? 0 : 1)]!;
        i2 = next[2 * i2 + (s2 <= off[n2]! ? 0 : 1)]!;
        i3 = next[2 * i3 + (s3 <= off[n3]! ? 0 : 1)]!;
      }
      acc[g] = acc[g]! + leafDepth[i0]!;
      acc[g + 1] = acc[g + 1]! + leafDepth[i1]!;
      acc[g + 2] = acc[g + 2]! + leafDepth[i2]!;
      acc[g + 3] = acc[g + 3]! + leafDepth[i3]!;
    }
  }
}

/** As `denseDepthSums`, for normals with K < d non-zero components on the features `axis`. */
function sparseDepthSums(
  coef: Float64Array,
  axis: Int32Array,
  K: number,
  off: Float64Array,
  next: Int32Array,
  leafDepth: Float64Array,
  roots: Int32Array,
  heights: Int32Array,
  S: number,
  x: Float64Array,
  first: number,
  m: number,
  d: number,
  acc: Float64Array,
): void {
  acc.fill(0);
  const last = (first + m - 1) * d;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    const H = heights[t]!;
    for (let g = 0; g < m; g += LANES) {
      const r0 = (first + g) * d;
      const r1 = Math.min(r0 + d, last);
      const r2 = Math.min(r0 + 2 * d, last);
      const r3 = Math.min(r0 + 3 * d, last);
      let i0 = root;
      let i1 = root;
      let i2 = root;
      let i3 = root;
      for (let l = 0; l < H; l++) {
        const n0 = i0 < S ? i0 : S;
        const n1 = i1 < S ? i1 : S;
        const n2 = i2 < S ? i2 : S;
        const n3 = i3 < S ? i3 : S;
        const c0 = n0 * K;
        const c1 = n1 * K;
        const c2 = n2 * K;
        const c3 = n3 * K;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < K; j++) {
          s0 += coef[c0 + j]! * x[r0 + axis[c0 + j]!]!;
          s1 += coef[c1 + j]! * x[r1 + axis[c1 + j]!]!;
          s2 += coef[c2 + j]! * x[r2 + axis[c2 + j]!]!;
          s3 += coef[c3 + j]! * x[r3 + axis[c3 + j]!]!;
        }
        i0 = next[2 * i0 + (s0 <= off[n0]! ? 0 : 1)]!;
        i1 = next[2 * i1 + (s1 <= off[n1]! ? 0 : 1)]!;
        i2 = next[2 * i2 + (s2 <= off[n2]! ? 0 : 1)]!;
        i3 = next[2 * i3 + (s3 <= off[n3]! ? 0 : 1)]!;
      }
      acc[g] = acc[g]! + leafDepth[i0]!;
      acc[g + 1] = acc[g + 1]! + leafDepth[i1]!;
      acc[g + 2] = acc[g + 2]! + leafDepth[i2]!;
      acc[g + 3] = acc[g + 3]! + leafDepth[i3]!;
    }
  }
}
