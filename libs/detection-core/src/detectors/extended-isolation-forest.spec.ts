import { describe, expect, it } from 'vitest';
import { blobs } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { Random } from '../core/random.js';
import { rocAuc } from '../metrics/metrics.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { seal } from '../model/model-document.js';
import { ExtendedIsolationForest } from './extended-isolation-forest.js';
import { IsolationForest } from './isolation-forest.js';
import { averagePathLength } from './path-length.js';

/** The stored trees of a fitted forest, decoded. */
function storedTrees(sut: ExtendedIsolationForest): {
  samples: number;
  extensionLevel: number;
  treeSizes: Int32Array;
  node: Int32Array;
  offset: Float64Array;
  normal: Float64Array;
  axes: Int32Array | null;
} {
  const state = sut.toJSON().state;
  return {
    samples: state['samples'] as number,
    extensionLevel: state['extensionLevel'] as number,
    treeSizes: decodeArray(state['treeSizes'], 'int32', 'treeSizes'),
    node: decodeArray(state['node'], 'int32', 'node'),
    offset: decodeArray(state['offset'], 'float64', 'offset'),
    normal: decodeArray(state['normal'], 'float64', 'normal'),
    axes: state['axes'] === undefined ? null : decodeArray(state['axes'], 'int32', 'axes'),
  };
}

/** n rows from each of two unit Gaussian blobs, centred at (0, 10) and (10, 0) as in the paper. */
function twoBlobs(n: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    data[4 * i] = rng.normal();
    data[4 * i + 1] = 10 + rng.normal();
    data[4 * i + 2] = 10 + rng.normal();
    data[4 * i + 3] = rng.normal();
  }
  return new Matrix(data, 2 * n, 2);
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

interface Scorer {
  score(X: number[][]): Float64Array;
}

// The blobs' projections overlap at (0, 0) and (10, 10): axis-parallel cuts separate these
// "ghost" points from the data late, so they look more normal than points as far from the data
// elsewhere (Hariri et al., figure 4). The controls lie 10 from one centre, like the ghosts, but
// outside the bands the blobs cover on either axis.
const GHOSTS = [
  [0, 0],
  [10, 10],
];
const CONTROLS = [
  [-10 / Math.SQRT2, 10 + 10 / Math.SQRT2],
  [10 + 10 / Math.SQRT2, -10 / Math.SQRT2],
];
const CENTRES = [
  [0, 10],
  [10, 0],
];

/** How far above the centres the ghosts score, as a share of how far the controls do. */
function ghostRatio(sut: Scorer): number {
  const z = mean(sut.score(CENTRES));
  return (mean(sut.score(GHOSTS)) - z) / (mean(sut.score(CONTROLS)) - z);
}

describe(ExtendedIsolationForest.name, () => {
  const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
  const ghostData = twoBlobs(300, 100);

  it('ranks planted outliers first', () => {
    const sut = new ExtendedIsolationForest({ seed: 3 }).fit(X);
    expect(rocAuc(y, sut.trainingScores)).toBeGreaterThan(0.95);
  });

  it('scores in (0, 1], higher for an obvious outlier', () => {
    const sut = new ExtendedIsolationForest({ seed: 3 }).fit(X);
    const [inlier, outlier] = sut.score([X.toRows()[y.indexOf(0)]!, [50, 50, 50, 50, 50, 50]]);
    expect(outlier).toBeGreaterThan(inlier!);
    for (const s of sut.trainingScores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('scores the ghost clusters of two blobs as anomalous as other points as far away, unlike the standard forest', () => {
    for (const seed of [0, 1, 2]) {
      expect(ghostRatio(new ExtendedIsolationForest({ seed }).fit(ghostData))).toBeGreaterThan(0.9);
      expect(ghostRatio(new IsolationForest({ seed }).fit(ghostData))).toBeLessThan(0.8);
    }
  });

  it('scores a Gaussian blob about the same in every direction, unlike the standard forest', () => {
    const rng = new Random(50);
    const blob = Matrix.fromRows(Array.from({ length: 1000 }, () => [rng.normal(), rng.normal()]));
    const R = 3.5;
    const onAxes = [
      [R, 0],
      [0, R],
      [-R, 0],
      [0, -R],
    ];
    const onDiagonals = onAxes.map(([a, b]) => [(a! - b!) / Math.SQRT2, (a! + b!) / Math.SQRT2]);
    // Axis-parallel cuts leave a cross of lower scores along the axes through the blob.
    const anisotropy = (sut: Scorer): number =>
      mean(sut.score(onDiagonals)) - mean(sut.score(onAxes));
    for (const seed of [0, 1, 2]) {
      expect(Math.abs(anisotropy(new ExtendedIsolationForest({ seed }).fit(blob)))).toBeLessThan(
        0.03,
      );
      expect(anisotropy(new IsolationForest({ seed }).fit(blob))).toBeGreaterThan(0.04);
    }
  });

  it('grows the trees of the standard isolation forest at extensionLevel 0, artefacts included', () => {
    const sut = new ExtendedIsolationForest({ seed: 4, extensionLevel: 0 }).fit(X);
    expect(sut.trainingScores).toEqual(new IsolationForest({ seed: 4 }).fit(X).trainingScores);
    const trees = storedTrees(sut);
    expect(trees.axes!.length).toBe(trees.offset.length);
    expect(trees.normal.every((v) => v === 1)).toBe(true);
    expect(ghostRatio(sut.fit(ghostData))).toBeLessThan(0.8);
  });

  it('stores extensionLevel + 1 normal components per split, all of them when fully extended', () => {
    const partial = storedTrees(new ExtendedIsolationForest({ seed: 2, extensionLevel: 2 }).fit(X));
    expect(partial.extensionLevel).toBe(2);
    expect(partial.normal.length).toBe(3 * partial.offset.length);
    expect(partial.axes!.length).toBe(3 * partial.offset.length);
    for (let s = 0; s < partial.offset.length; s++) {
      const [a, b, c] = partial.axes!.subarray(3 * s, 3 * s + 3);
      expect(a! < b! && b! < c! && c! < 6).toBe(true);
    }
    const full = storedTrees(new ExtendedIsolationForest({ seed: 2 }).fit(X));
    expect(full.extensionLevel).toBe(5);
    expect(full.axes).toBeNull();
    expect(full.normal.length).toBe(6 * full.offset.length);
  });

  it('gives the same model and scores for the same seed, other scores for another', () => {
    const a = new ExtendedIsolationForest({ seed: 11 }).fit(X);
    const b = new ExtendedIsolationForest({ seed: 11 }).fit(X);
    const c = new ExtendedIsolationForest({ seed: 12 }).fit(X);
    expect(b.score(X)).toEqual(a.score(X));
    expect(b.toJSON().state).toEqual(a.toJSON().state);
    expect(c.score(X)).not.toEqual(a.score(X));
  });

  it('training scores equal score() of the training rows', () => {
    const sut = new ExtendedIsolationForest({ seed: 5, extensionLevel: 3 }).fit(X);
    expect(sut.score(X)).toEqual(sut.trainingScores);
  });

  it.each([null, 1])(
    'matches a plain recursive traversal of the stored trees (extensionLevel %s)',
    (extensionLevel) => {
      const sut = new ExtendedIsolationForest({ seed: 9, nEstimators: 20, extensionLevel }).fit(X);
      const {
        samples,
        extensionLevel: level,
        treeSizes,
        node,
        offset,
        normal,
        axes,
      } = storedTrees(sut);
      const K = level + 1;
      // Hyperplanes that miss every row of their node leave empty leaves; these trees have some.
      expect(node.includes(0)).toBe(true);
      const rows = [...X.toRows().slice(0, 200), [30, -30, 30, -30, 30, -30]];
      const expected = rows.map((x) => {
        let k = 0;
        let split = 0;
        let total = 0;
        for (const size of treeSizes) {
          const end = k + size;
          const walk = (depth: number, follow: boolean): number => {
            const v = node[k++]!;
            if (v >= 0) return follow ? depth + averagePathLength(v) : 0;
            const s = split++;
            let dot = 0;
            for (let m = 0; m < K; m++)
              dot += normal[s * K + m]! * x[axes === null ? m : axes[s * K + m]!]!;
            const goLeft = dot <= offset[s]!;
            const left = walk(depth + 1, follow && goLeft);
            const right = walk(depth + 1, follow && !goLeft);
            return left + right;
          };
          total += walk(0, true);
          expect(k).toBe(end);
        }
        expect(split).toBe(offset.length);
        return Math.pow(2, -total / treeSizes.length / averagePathLength(samples));
      });
      const actual = sut.score(rows);
      for (let i = 0; i < rows.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 12);
    },
  );

  it('round-trips through its model document with identical scores', () => {
    for (const extensionLevel of [null, 2]) {
      const sut = new ExtendedIsolationForest({ seed: 2, contamination: 0.05, extensionLevel }).fit(
        X,
      );
      const doc = JSON.parse(JSON.stringify(sut)) as unknown;
      const loaded = ExtendedIsolationForest.fromJSON(doc);
      expect(loaded.score(X)).toEqual(sut.score(X));
      expect(loaded.threshold).toBe(sut.threshold);
      expect(loaded.predict(X)).toEqual(sut.predict(X));
    }
  });

  it('rejects model documents whose trees do not fit their parameters', () => {
    const sut = new ExtendedIsolationForest({ seed: 2, nEstimators: 5, extensionLevel: 1 }).fit(X);
    const doc = sut.toJSON();
    // Re-sealed, so that the checks of the state are what fails, not the digest.
    const load = (change: (state: Record<string, unknown>) => void) => () => {
      const copy = structuredClone(doc);
      change(copy.state);
      return ExtendedIsolationForest.fromJSON(seal(copy));
    };
    const invalid: unknown = expect.objectContaining({ code: DetectionErrorCode.InvalidModel });
    expect(load((s) => (s['extensionLevel'] = 2))).toThrow(/extensionLevel must be 1/);
    expect(load((s) => (s['extra'] = 1))).toThrow(/unknown state field 'extra'/);
    expect(load((s) => delete s['axes'])).toThrow(invalid);
    expect(load((s) => (s['maxDepth'] = 3))).toThrow(/maxDepth must be 8/);
    const axes = decodeArray(doc.state['axes'], 'int32', 'axes').slice();
    axes[1] = 6;
    expect(load((s) => (s['axes'] = encodeArray(axes)))).toThrow(/feature 6 of 6/);
    const normal = decodeArray(doc.state['normal'], 'float64', 'normal').slice();
    normal[0] = Number.NaN;
    expect(load((s) => (s['normal'] = encodeArray(normal)))).toThrow(/not finite/);
    const node = decodeArray(doc.state['node'], 'int32', 'node').slice();
    node[node.indexOf(-1) + 1] = node[node.indexOf(-1) + 1]! + 1;
    expect(load((s) => (s['node'] = encodeArray(node)))).toThrow(invalid);
    expect(load(() => undefined)).not.toThrow();
  });

  it('handles constant columns, duplicate rows and tiny data', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i % 7, 5, (i * 3) % 11]);
    const sut = new ExtendedIsolationForest({ seed: 1 }).fit(rows);
    expect(sut.trainingScores.every(Number.isFinite)).toBe(true);
    // Nothing can be isolated: every row sits in the root leaf, depth c(ψ), score 2^-1.
    const allConstant = new ExtendedIsolationForest().fit([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    for (const s of allConstant.trainingScores) expect(s).toBeCloseTo(0.5, 12);
    // Identical rows end in a leaf instead of splitting down to the height limit; the lone
    // different row is isolated.
    const dup = [...Array.from({ length: 255 }, () => [2, 3, 4]), [2, 3, 5]];
    const deep = new ExtendedIsolationForest({ seed: 3, maxDepth: 32 }).fit(dup);
    expect(deep.trainingScores[255]).toBeGreaterThan(deep.trainingScores[0]!);
    for (const extensionLevel of [null, 0]) {
      const two = new ExtendedIsolationForest({ seed: 1, extensionLevel }).fit([
        [0, 1],
        [1, 0],
      ]);
      expect(two.trainingScores.every(Number.isFinite)).toBe(true);
    }
    const oneFeature = new ExtendedIsolationForest({ seed: 1 }).fit([[1], [2], [3], [100]]);
    expect(oneFeature.trainingScores[3]).toBeGreaterThan(oneFeature.trainingScores[1]!);
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new ExtendedIsolationForest({ nEstimators: 0 })).toThrow(/nEstimators/);
    expect(() => new ExtendedIsolationForest({ maxSamples: 1.5 })).toThrow(/maxSamples/);
    expect(() => new ExtendedIsolationForest({ maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => new ExtendedIsolationForest({ extensionLevel: -1 })).toThrow(/extensionLevel/);
    expect(() => new ExtendedIsolationForest({ extensionLevel: 0.5 })).toThrow(/extensionLevel/);
    expect(() => new ExtendedIsolationForest({ nTrees: 5 } as object)).toThrow(
      /unknown parameter 'nTrees'/,
    );
    expect(() => new ExtendedIsolationForest({ extensionLevel: 6 }).fit(X)).toThrow(
      expect.objectContaining({
        code: DetectionErrorCode.InvalidArgument,
        message: expect.stringMatching(
          /'extensionLevel'.*below the number of features \(6\), got 6/,
        ) as unknown,
      }),
    );
  });

  it('rejects bad input with codes that name the problem', () => {
    const sut = new ExtendedIsolationForest();
    expect(() => sut.score(X)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
    );
    expect(() => sut.fit([])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
    );
    expect(() =>
      sut.fit([
        [1, Number.NaN],
        [2, 3],
      ]),
    ).toThrow(/NaN \(missing\) at row 0, column 1/);
    sut.fit(X);
    expect(() => sut.score([[1, 2]])).toThrow(/has 2 features, but the detector was fitted with 6/);
  });
});
