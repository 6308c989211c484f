import { Detector, SEED_PARAM_SPEC, type CommonParams } from '../core/detector.js';
import { DetectionError, DetectionErrorCode, check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { Random } from '../core/random.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { averagePathLength } from './path-length.js';
import { drawSubsample } from './subsample.js';
import { ThresholdQuantizer } from './threshold-quantizer.js';

export interface IsolationForestParams {
  /** Number of trees. */
  nEstimators: number;
  /** Rows drawn (without replacement) to grow each tree, ψ; capped at the number of rows. */
  maxSamples: number;
  /** Height limit; `null` means ⌈log2 ψ⌉ (Liu et al.'s default). */
  maxDepth: number | null;
  seed: number;
}

/** Deepest tree the scoring layout stores (complete trees of 2^depth leaves). */
const MAX_DEPTH = 16;

export const ISOLATION_FOREST_PARAMS = {
  nEstimators: {
    type: 'integer',
    description: 'Number of isolation trees.',
    default: 100,
    minimum: 1,
    maximum: 10_000,
  },
  maxSamples: {
    type: 'integer',
    description:
      'Sub-sample size ψ drawn without replacement for each tree (capped at the row count).',
    default: 256,
    minimum: 2,
    maximum: 1_000_000,
  },
  maxDepth: {
    type: 'integer',
    description: 'Height limit of each tree; null means ceil(log2 ψ), at most 16.',
    default: null,
    minimum: 1,
    maximum: MAX_DEPTH,
    nullable: true,
  },
  ...SEED_PARAM_SPEC,
} as const satisfies ParamSpecs;

/** Rows walking a tree together (see `depthSums`). */
const LANES = 8;
/**
 * Ranks in a block of rows quantized and scored together (32 KB; at least LANES rows): they stay
 * in the L1 cache while every tree walks them, and the compiled forest keeps room for one block.
 */
const BLOCK_RANKS = 8192;

/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008; TKDD 2012).
 *
 * Each tree is grown on ψ rows drawn without replacement by splitting on a random feature at a
 * threshold drawn uniformly between the feature's minimum and maximum in the node, until a node
 * holds one row or the height limit is reached. Anomalies are few and different, so they are
 * isolated close to the root. With h(x) the depth of the leaf x reaches plus c(size of the leaf):
 *
 *   score(x) = 2^(−E[h(x)] / c(ψ))
 *
 * in (0, 1]; higher = more anomalous. This equals scikit-learn's `-score_samples(X)`: the
 * splitter mirrors `ExtraTreeRegressor(max_features=1)` (a constant feature is skipped for
 * another one; `x ≤ threshold` goes left).
 *
 * Scoring is the fast path: trees are stored as complete binary trees of depth `maxDepth`
 * (shallower leaves padded with always-left nodes), feature values are mapped to integer ranks
 * among all thresholds (see `ThresholdQuantizer`), and blocks of rows walk each tree with
 * branch-free integer steps, eight rows interleaved (see `depthSums`).
 *
 * Explanations: every split on a row's path isolates it from part of the tree's sub-sample; the
 * split's feature is credited with the information it gave, log2(n_node / n_child) bits (n =
 * training rows in the node), summed over the trees and normalized to shares that sum to 1 per
 * row. The first split that cuts a spike off from 200 rows earns ~7.6 bits, routine splits that
 * keep the row with half its neighbours earn 1. (A path-based local importance in the spirit of
 * Local-DIFFI: Carletti, Terzi & Susto, "Interpretable Anomaly Detection with DIFFI", 2023.)
 *
 * @example
 * const forest = new IsolationForest({ nEstimators: 100, seed: 7 }).fit(X);
 * const scores = forest.score(newRows);
 */
export class IsolationForest extends Detector<IsolationForestParams> {
  readonly algorithm = 'iforest';
  private trees: TreeSet | undefined;
  private compiled: CompiledForest | undefined;

  constructor(params: Partial<IsolationForestParams & CommonParams> = {}) {
    super('iforest', ISOLATION_FOREST_PARAMS, params);
  }

  override get explainable(): boolean {
    return true;
  }

  protected fitModel(X: Matrix): Float64Array {
    const { nEstimators, maxSamples, maxDepth, seed } = this.params;
    const psi = Math.min(maxSamples, X.rows);
    // Liu et al.'s ⌈log2 ψ⌉, capped at the 16 levels the complete-tree layout allows (reached only
    // for ψ > 65,536, where deeper cuts change scores little).
    const depth = maxDepth ?? Math.min(MAX_DEPTH, Math.max(1, Math.ceil(Math.log2(psi))));
    const rng = new Random(seed);
    const builder = new TreeBuilder(X.cols, psi, depth);
    for (let t = 0; t < nEstimators; t++) builder.grow(X, rng.fork());
    this.trees = builder.finish();
    this.compiled = compile(this.trees, X.cols);
    return this.compiled.score(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return this.forest().score(X);
  }

  protected override explainModel(X: Matrix): Float64Array {
    return this.forest().explain(X);
  }

  protected saveState(): Record<string, unknown> {
    const t = this.requireTrees();
    return {
      samples: t.samples,
      maxDepth: t.depth,
      treeSizes: encodeArray(t.treeSizes),
      feature: encodeArray(t.feature),
      value: encodeArray(t.value),
    };
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const trees = readTreeSet(state, nFeatures, this.params.nEstimators);
    this.trees = trees;
    this.compiled = compile(trees, nFeatures);
  }

  private forest(): CompiledForest {
    if (this.compiled === undefined)
      throw new Error('internal error: isolation forest not compiled');
    return this.compiled;
  }

  private requireTrees(): TreeSet {
    if (this.trees === undefined) throw new Error('internal error: isolation forest has no trees');
    return this.trees;
  }
}

/**
 * The trees as stored in model documents: each tree's nodes in preorder. `feature[k]` is the
 * split feature of node k, or −1 for a leaf; `value[k]` is its threshold (x ≤ threshold goes
 * left), or for a leaf the number of training rows that reached it.
 */
interface TreeSet {
  samples: number;
  depth: number;
  treeSizes: Int32Array;
  feature: Int32Array;
  value: Float64Array;
}

/** Grows isolation trees on sub-samples, appending them in preorder. */
class TreeBuilder {
  private readonly feature: number[] = [];
  private readonly value: number[] = [];
  private readonly sizes: number[] = [];
  private readonly buf: Float64Array;
  private readonly idx: Int32Array;
  private readonly features: Int32Array;

  constructor(
    private readonly d: number,
    private readonly psi: number,
    private readonly depth: number,
  ) {
    this.buf = new Float64Array(psi * d);
    this.idx = new Int32Array(psi);
    this.features = new Int32Array(d);
  }

  grow(X: Matrix, rng: Random): void {
    const { psi } = this;
    drawSubsample(X, psi, rng, this.buf, this.idx);
    const before = this.feature.length;
    this.split(0, psi, 0, rng);
    this.sizes.push(this.feature.length - before);
  }

  finish(): TreeSet {
    return {
      samples: this.psi,
      depth: this.depth,
      treeSizes: Int32Array.from(this.sizes),
      feature: Int32Array.from(this.feature),
      value: Float64Array.from(this.value),
    };
  }

  private split(start: number, end: number, depth: number, rng: Random): void {
    const n = end - start;
    if (depth >= this.depth || n <= 1) return this.leaf(n);
    const { d, buf, idx, features } = this;
    for (let f = 0; f < d; f++) features[f] = f;
    // Draw features without replacement until one is not constant in this node.
    for (let drawn = 0; drawn < d; drawn++) {
      const pick = drawn + rng.int(d - drawn);
      const f = features[pick]!;
      features[pick] = features[drawn]!;
      features[drawn] = f;
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = start; k < end; k++) {
        const v = buf[idx[k]! * d + f]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(hi > lo)) continue;
      let t = lo + (hi - lo) * rng.uniform();
      // As scikit-learn: never let the threshold equal the maximum (an empty right child).
      if (t >= hi) t = lo;
      let mid = start;
      for (let k = start; k < end; k++) {
        const r = idx[k]!;
        if (buf[r * d + f]! <= t) {
          idx[k] = idx[mid]!;
          idx[mid++] = r;
        }
      }
      this.feature.push(f);
      this.value.push(t);
      this.split(start, mid, depth + 1, rng);
      this.split(mid, end, depth + 1, rng);
      return;
    }
    this.leaf(n);
  }

  private leaf(n: number): void {
    this.feature.push(-1);
    this.value.push(n);
  }
}

function readTreeSet(state: Record<string, unknown>, d: number, nEstimators: number): TreeSet {
  const samples = state['samples'];
  const depth = state['maxDepth'];
  check(
    typeof samples === 'number' && Number.isInteger(samples) && samples >= 1,
    'samples must be a positive integer',
  );
  check(
    typeof depth === 'number' && Number.isInteger(depth) && depth >= 1 && depth <= MAX_DEPTH,
    `maxDepth must be an integer in [1, ${MAX_DEPTH}]`,
  );
  const treeSizes = decodeArray(state['treeSizes'], 'int32', 'state.treeSizes', nEstimators);
  let total = 0;
  for (const s of treeSizes) total += s;
  const feature = decodeArray(state['feature'], 'int32', 'state.feature', total);
  const value = decodeArray(state['value'], 'float64', 'state.value', total);
  const trees = { samples, depth, treeSizes, feature, value };
  // Walk every tree once: a malformed document fails here, not while scoring.
  let k = 0;
  for (const size of treeSizes) {
    const end = k + size;
    const walk = (level: number): void => {
      check(k < end, 'a tree ends before all its nodes are defined');
      const f = feature[k]!;
      const v = value[k]!;
      k++;
      if (f < 0) {
        check(
          f === -1 && Number.isInteger(v) && v >= 0,
          'a leaf must have feature -1 and a non-negative row count',
        );
        return;
      }
      check(f < d, `a split uses feature ${f} of ${d}`);
      check(Number.isFinite(v), 'a split threshold is not finite');
      check(level < depth, 'a tree is deeper than maxDepth');
      walk(level + 1);
      walk(level + 1);
    };
    walk(0);
    check(k === end, 'a tree has nodes beyond its last leaf');
  }
  return trees;
}

/** The scoring form of a forest (see the class comment). */
interface CompiledForest {
  score(X: Matrix): Float64Array;
  explain(X: Matrix): Float64Array;
}

function compile(trees: TreeSet, d: number): CompiledForest {
  const { depth: D, treeSizes, feature, value } = trees;
  const T = treeSizes.length;
  const NI = (1 << D) - 1;
  const NL = 1 << D;

  const perFeature: number[][] = Array.from({ length: d }, () => []);
  for (let k = 0; k < feature.length; k++)
    if (feature[k]! >= 0) perFeature[feature[k]!]!.push(value[k]!);
  const quantizer = new ThresholdQuantizer(perFeature.map((a) => Float64Array.from(a)));

  // word = rank << featureBits | feature·LANES; the padding rank PAD sends every value left.
  const featureBits = Math.max(1, Math.ceil(Math.log2(d * LANES)));
  const PAD = 2 ** (31 - featureBits) - 1;
  for (let f = 0; f < d; f++) {
    if (quantizer.count(f) >= PAD) {
      throw new DetectionError(
        DetectionErrorCode.InvalidArgument,
        `isolation forest: feature ${f} has ${quantizer.count(f)} distinct thresholds, more than the ${PAD} supported with ${d} features; lower nEstimators or maxDepth`,
      );
    }
  }
  const FEATURE_MASK = (1 << featureBits) - 1;
  // The node words of every tree, then room for the ranks of one block of rows: `depthSums`
  // reads both from one array, which leaves the JIT more registers for its lanes.
  const RANKS = T * NI;
  const blockRows = LANES * Math.max(1, Math.floor(BLOCK_RANKS / (LANES * d)));
  const word = new Int32Array(RANKS + blockRows * d).fill(PAD << featureBits, 0, RANKS);
  const leafDepth = new Float64Array(T * NL);

  // Training rows under each node (all 2^(D+1) − 1 positions of the complete tree; padding
  // nodes repeat their leaf's count), for explanations.
  const NODES = NI + NL;
  const size = new Float64Array(T * NODES);
  let k = 0;
  for (let t = 0; t < T; t++) {
    const wb = t * NI;
    const lb = t * NL;
    const sb = t * NODES;
    const place = (node: number, level: number): number => {
      const f = feature[k]!;
      const v = value[k]!;
      k++;
      if (f < 0) {
        let leaf = node;
        size[sb + leaf] = v;
        for (let l = level; l < D; l++) {
          leaf = 2 * leaf + 1;
          size[sb + leaf] = v;
        }
        leafDepth[lb + leaf - NI] = level + averagePathLength(v);
        return v;
      }
      word[wb + node] = (quantizer.rank(f, v) << featureBits) | (f * LANES);
      const n = place(2 * node + 1, level + 1) + place(2 * node + 2, level + 1);
      size[sb + node] = n;
      return n;
    };
    place(0, 0);
  }
  const norm = averagePathLength(trees.samples) * T;

  return {
    // Reuses the rank area of `word`: scoring is synchronous and nothing in it calls back out.
    score(X: Matrix): Float64Array {
      const n = X.rows;
      const out = new Float64Array(n);
      const acc = new Float64Array(blockRows);
      for (let start = 0; start < n; start += blockRows) {
        const m = Math.min(blockRows, n - start);
        const groups = Math.ceil(m / LANES);
        const block = X.data.subarray(start * d, (start + m) * d);
        quantizer.quantizeLanes(block, m, d, LANES, featureBits, word, RANKS);
        depthSums(word, leafDepth, T, D, FEATURE_MASK, RANKS, groups, d, acc);
        for (let r = 0; r < m; r++) out[start + r] = Math.pow(2, -acc[r]! / norm);
      }
      return out;
    },

    explain(X: Matrix): Float64Array {
      const n = X.rows;
      const out = new Float64Array(n * d);
      const q = new Int32Array(d);
      for (let r = 0; r < n; r++) {
        const o = r * d;
        for (let f = 0; f < d; f++) q[f] = quantizer.rank(f, X.data[o + f]!);
        let total = 0;
        for (let t = 0; t < T; t++) {
          const wb = t * NI;
          const sb = t * NODES;
          let i = 0;
          for (let l = 0; l < D; l++) {
            const w = word[wb + i]!;
            const f = (w & FEATURE_MASK) / LANES;
            const child = 2 * i + 1 + (q[f]! > w >> featureBits ? 1 : 0);
            // A padding node keeps every row (log 1 = 0); a real split credits its feature with
            // the bits of isolation it gave this row.
            const bits = Math.log2(size[sb + i]! / size[sb + child]!);
            out[o + f] = out[o + f]! + bits;
            total += bits;
            i = child;
          }
        }
        if (total > 0) for (let f = 0; f < d; f++) out[o + f] = out[o + f]! / total;
      }
      return out;
    },
  };
}

/**
 * acc[r] = Σ over trees of the depth credited to row r, for the rows of a block whose ranks sit
 * in `mem` from index `qb` in groups of LANES rows: mem[qb + g·LANES·d + f·LANES + k] is the rank
 * of feature f in row g·LANES + k, shifted left past the feature bits. Node words (mem[0 … qb))
 * hold rank << featureBits | feature·LANES, so a chain needs no row offset of its own, and
 * word − rank(x) is negative exactly when x is above the node's threshold: its sign bit is the
 * step to the right child (the feature bits cannot make a negative difference positive, nor the
 * reverse).
 *
 * Each group walks a tree as LANES independent chains — one level is two dependent loads, and
 * interleaving chains hides their latency. Every row starts at the root, whose word is read once
 * per tree. In trees at least 8 deep (ψ = 256, the default, gives exactly 8) the next seven
 * levels are written out, because in a loop the JIT reloads the array's data pointer and
 * shuffles the lanes' registers on every level (about 10% slower); other levels run in the loop.
 * Indices are truncated with `| 0` so that the JIT needs no overflow checks, whose
 * deoptimization points would keep more values alive.
 *
 * A standalone function with every input an argument, so the JIT keeps them in registers.
 */
function depthSums(
  mem: Int32Array,
  leafDepth: Float64Array,
  T: number,
  D: number,
  mask: number,
  qb: number,
  groups: number,
  d: number,
  acc: Float64Array,
): void {
  const NI = (1 << D) - 1;
  const NL = 1 << D;
  const stride = LANES * d;
  acc.fill(0, 0, groups * LANES);
  for (let t = 0; t < T; t++) {
    const wb = t * NI;
    const lb = t * NL - NI;
    const root = mem[wb]!;
    const rootFeature = root & mask;
    for (let g = 0; g < groups; g++) {
      const o = (qb + g * stride) | 0;
      const r = (o + rootFeature) | 0;
      let i0 = 1 + ((root - mem[r]!) >>> 31);
      let i1 = 1 + ((root - mem[(r + 1) | 0]!) >>> 31);
      let i2 = 1 + ((root - mem[(r + 2) | 0]!) >>> 31);
      let i3 = 1 + ((root - mem[(r + 3) | 0]!) >>> 31);
      let i4 = 1 + ((root - mem[(r + 4) | 0]!) >>> 31);
      let i5 = 1 + ((root - mem[(r + 5) | 0]!) >>> 31);
      let i6 = 1 + ((root - mem[(r + 6) | 0]!) >>> 31);
      let i7 = 1 + ((root - mem[(r + 7) | 0]!) >>> 31);
      let level = 1;
      if (D >= 8) {
        // Levels 1–7, one block each.
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        {
          const w0 = mem[(wb + i0) | 0]!;
          const w1 = mem[(wb + i1) | 0]!;
          const w2 = mem[(wb + i2) | 0]!;
          const w3 = mem[(wb + i3) | 0]!;
          const w4 = mem[(wb + i4) | 0]!;
          const w5 = mem[(wb + i5) | 0]!;
          const w6 = mem[(wb + i6) | 0]!;
          const w7 = mem[(wb + i7) | 0]!;
          i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
          i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
          i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
          i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
          i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
          i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
          i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
          i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
        }
        level = 8;
      }
      for (; level < D; level++) {
        const w0 = mem[(wb + i0) | 0]!;
        const w1 = mem[(wb + i1) | 0]!;
        const w2 = mem[(wb + i2) | 0]!;
        const w3 = mem[(wb + i3) | 0]!;
        const w4 = mem[(wb + i4) | 0]!;
        const w5 = mem[(wb + i5) | 0]!;
        const w6 = mem[(wb + i6) | 0]!;
        const w7 = mem[(wb + i7) | 0]!;
        i0 = ((i0 << 1) + 1 + ((w0 - mem[(o + (w0 & mask)) | 0]!) >>> 31)) | 0;
        i1 = ((i1 << 1) + 1 + ((w1 - mem[(o + 1 + (w1 & mask)) | 0]!) >>> 31)) | 0;
        i2 = ((i2 << 1) + 1 + ((w2 - mem[(o + 2 + (w2 & mask)) | 0]!) >>> 31)) | 0;
        i3 = ((i3 << 1) + 1 + ((w3 - mem[(o + 3 + (w3 & mask)) | 0]!) >>> 31)) | 0;
        i4 = ((i4 << 1) + 1 + ((w4 - mem[(o + 4 + (w4 & mask)) | 0]!) >>> 31)) | 0;
        i5 = ((i5 << 1) + 1 + ((w5 - mem[(o + 5 + (w5 & mask)) | 0]!) >>> 31)) | 0;
        i6 = ((i6 << 1) + 1 + ((w6 - mem[(o + 6 + (w6 & mask)) | 0]!) >>> 31)) | 0;
        i7 = ((i7 << 1) + 1 + ((w7 - mem[(o + 7 + (w7 & mask)) | 0]!) >>> 31)) | 0;
      }
      const a = g * LANES;
      acc[a] = acc[a]! + leafDepth[lb + i0]!;
      acc[a + 1] = acc[a + 1]! + leafDepth[lb + i1]!;
      acc[a + 2] = acc[a + 2]! + leafDepth[lb + i2]!;
      acc[a + 3] = acc[a + 3]! + leafDepth[lb + i3]!;
      acc[a + 4] = acc[a + 4]! + leafDepth[lb + i4]!;
      acc[a + 5] = acc[a + 5]! + leafDepth[lb + i5]!;
      acc[a + 6] = acc[a + 6]! + leafDepth[lb + i6]!;
      acc[a + 7] = acc[a + 7]! + leafDepth[lb + i7]!;
    }
  }
}
