import { DetectionError, DetectionErrorCode, check } from './errors.js';
import { Matrix, checkMatrix, type MatrixInput } from './matrix.js';
import { resolveParams, type ParamSpecs } from './params.js';
import { quantileSorted, sorted, summarizeSorted, type ScoreSummary } from './stats.js';
import { LIBRARY_VERSION } from './version.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  seal,
  verifyDocument,
  type ModelDocument,
} from '../model/model-document.js';
import { Imputer, MISSING_POLICIES, type MissingPolicy } from '../preprocessing/imputer.js';
import { SCALING_METHODS, Scaler, type ScalingMethod } from '../preprocessing/scaler.js';
import {
  THRESHOLD_RULES,
  fitThresholdSorted,
  toProbability,
  type Contamination,
  type ProbabilityMethod,
  type ThresholdRule,
} from '../threshold/threshold.js';

/** Parameters every detector accepts besides its own. */
export interface CommonParams {
  /** Share of anomalies expected in the training data, or `'auto'` (see `thresholdRule`). */
  contamination: Contamination;
  /** Rule that sets the threshold when `contamination` is `'auto'`. */
  thresholdRule: ThresholdRule;
  /** Missing-value policy applied before the detector sees the data. */
  missing: MissingPolicy;
  /** Column scaling applied (after imputation) before the detector sees the data. */
  scaling: ScalingMethod;
}

export const COMMON_PARAM_SPECS = {
  contamination: {
    type: 'number',
    description:
      "Expected share of anomalies in the training data; the threshold flags that share. 'auto' lets thresholdRule decide from the score distribution.",
    default: 0.1,
    exclusiveMinimum: 0,
    maximum: 0.5,
    keywords: ['auto'],
  },
  thresholdRule: {
    type: 'string',
    description:
      "Data-driven threshold rule used when contamination is 'auto': Tukey's IQR fence, a robust z-score on the MAD, or Otsu's two-class split.",
    default: 'mad',
    enum: THRESHOLD_RULES,
  },
  missing: {
    type: 'string',
    description:
      'Missing values (NaN): reject with an error, or impute the training mean or median.',
    default: 'reject',
    enum: MISSING_POLICIES,
  },
  scaling: {
    type: 'string',
    description:
      'Column scaling before the detector: none, standard (z-score), robust (median/IQR) or minmax.',
    default: 'none',
    enum: SCALING_METHODS,
  },
} as const satisfies ParamSpecs;

/** The `seed` parameter of randomized detectors. */
export const SEED_PARAM_SPEC = {
  seed: {
    type: 'integer',
    description:
      'Seed of the random generator: the same seed and data give the same model and scores.',
    default: 0,
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
  },
} as const satisfies ParamSpecs;

/** Per-row, per-feature contributions to the scores. */
export interface Explanation {
  scores: Float64Array;
  /** Row-major `rows × features`: contribution of feature j to row i's anomaly. */
  contributions: Float64Array;
  rows: number;
  featureNames: readonly string[];
}

interface Fitted {
  featureNames: readonly string[];
  imputer: Imputer;
  scaler: Scaler;
  threshold: number;
  rows: number;
  summary: ScoreSummary;
  anomalyRate: number;
  /** 1001 percentiles of the training scores. */
  quantiles: Float64Array;
  /** Only on the instance that ran `fit`; a loaded model has the summary and quantiles. */
  trainingScores?: Float64Array;
}

const SCORE_CHUNK_ROWS = 16_384;

/** A detector class, as the static helpers need it. */
export type DetectorClass<T extends Detector> = new (params?: object) => T;

/**
 * The contract every detector follows (scikit-learn's estimator contract, PyOD's sign convention):
 *
 * - the constructor only validates and stores parameters;
 * - `fit(X)` learns the model, keeps the training scores and fits the threshold; returns `this`;
 * - `score(X)`: higher = more anomalous;
 * - `predict(X)`: 1 when the score is above the threshold, else 0;
 * - `predictProba(X)`: a [0, 1] value per row;
 * - `toJSON()` / `static fromJSON()`: a sealed, versioned model document.
 *
 * Inputs are validated before any work: empty input, a wrong column count, ±Infinity and NaN
 * (unless the missing-value policy imputes it) fail with a {@link DetectionError} that names the
 * argument, the function, the row and the column.
 */
export abstract class Detector<P extends object = object> {
  /** Algorithm name in the catalogue. */
  abstract readonly algorithm: string;
  /** Every parameter, defaults filled in. */
  readonly params: Readonly<P & CommonParams>;
  private fitted: Fitted | undefined;

  protected constructor(algorithm: string, specs: ParamSpecs, params: object) {
    this.params = resolveParams<P & CommonParams>(
      algorithm,
      { ...COMMON_PARAM_SPECS, ...specs },
      params,
    );
  }

  /** Whether the detector can explain scores per feature (see {@link Detector.explain}). */
  get explainable(): boolean {
    return false;
  }

  /** Learns the detector on the training matrix; `featureNames` override the matrix's own names. */
  fit(X: MatrixInput, options: { featureNames?: readonly string[] } = {}): this {
    let M = checkMatrix(X, { arg: 'X', fn: 'fit', allowNaN: this.params.missing !== 'reject' });
    check(
      M.rows >= 2,
      `Argument 'X' passed to 'fit' has ${M.rows} row; a detector needs at least 2`,
    );
    if (options.featureNames !== undefined) {
      M = new Matrix(M.data, M.rows, M.cols, options.featureNames);
    }
    const imputer = Imputer.fit(M, this.params.missing);
    const imputed = imputer.transform(M);
    const scaler = Scaler.fit(imputed, this.params.scaling);
    const trainingScores = this.fitModel(scaler.transform(imputed));
    assertFiniteScores(trainingScores, this.algorithm, 'fit');
    const s = sorted(trainingScores);
    const threshold = fitThresholdSorted(s, this.params.contamination, this.params.thresholdRule);
    const quantiles = new Float64Array(1001);
    for (let q = 0; q <= 1000; q++) quantiles[q] = quantileSorted(s, q / 1000);
    let above = 0;
    for (let i = 0; i < trainingScores.length; i++) if (trainingScores[i]! > threshold) above++;
    this.fitted = {
      featureNames: M.featureNames,
      imputer,
      scaler,
      threshold,
      rows: M.rows,
      summary: summarizeSorted(s),
      anomalyRate: above / M.rows,
      quantiles,
      trainingScores,
    };
    return this;
  }

  /** Anomaly scores of the rows of `X` (higher = more anomalous). */
  score(X: MatrixInput): Float64Array {
    const { M } = this.prepare(X, 'score');
    const out = new Float64Array(M.rows);
    this.forChunks(M, (chunk, start) => out.set(this.scoreModel(chunk), start));
    assertFiniteScores(out, this.algorithm, 'score');
    return out;
  }

  /** 1 for rows whose score is above the fitted threshold, 0 otherwise. */
  predict(X: MatrixInput): Uint8Array {
    const scores = this.score(X);
    const t = this.state('predict').threshold;
    const out = new Uint8Array(scores.length);
    for (let i = 0; i < scores.length; i++) out[i] = scores[i]! > t ? 1 : 0;
    return out;
  }

  /** Scores mapped to [0, 1] by `method` (default `unify`, see `ProbabilityMethod`). */
  predictProba(X: MatrixInput, method: ProbabilityMethod = 'unify'): Float64Array {
    const f = this.state('predictProba');
    return toProbability(this.score(X), method, {
      mean: f.summary.mean,
      std: f.summary.std,
      min: f.summary.min,
      max: f.summary.max,
      sortedScores: f.quantiles,
    });
  }

  /**
   * Scores plus each feature's contribution to each row's score.
   *
   * @throws {DetectionError} `INVALID_ARGUMENT` when the algorithm cannot explain its scores.
   */
  explain(X: MatrixInput): Explanation {
    check(this.explainable, `${this.algorithm} does not explain its scores per feature`);
    const { M, fitted } = this.prepare(X, 'explain');
    const scores = new Float64Array(M.rows);
    const contributions = new Float64Array(M.rows * M.cols);
    this.forChunks(M, (chunk, start) => {
      scores.set(this.scoreModel(chunk), start);
      contributions.set(this.explainModel(chunk), start * M.cols);
    });
    return { scores, contributions, rows: M.rows, featureNames: fitted.featureNames };
  }

  /** Whether `fit` (or `fromJSON`) has run. */
  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** The score threshold: scores strictly above it are anomalies. */
  get threshold(): number {
    return this.state('threshold').threshold;
  }

  get featureNames(): readonly string[] {
    return this.state('featureNames').featureNames;
  }

  /** Summary of the training scores. */
  get trainingSummary(): ScoreSummary {
    return this.state('trainingSummary').summary;
  }

  /**
   * Scores of the training rows as `fit` computed them (PyOD's `decision_scores_`: neighbour
   * methods exclude each row from its own neighbours). Kept only by the instance that ran `fit`.
   */
  get trainingScores(): Float64Array {
    const scores = this.state('trainingScores').trainingScores;
    if (scores === undefined) {
      throw new DetectionError(
        DetectionErrorCode.NotFitted,
        `training scores are kept only by the ${this.algorithm} instance that ran fit; a loaded model keeps their summary (trainingSummary)`,
      );
    }
    return scores;
  }

  /** The sealed model document. */
  toJSON(): ModelDocument {
    const f = this.state('toJSON');
    return seal({
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      algorithm: this.algorithm,
      producer: `nomaly-detection-core ${LIBRARY_VERSION}`,
      params: { ...this.params },
      featureNames: [...f.featureNames],
      preprocessing: { imputer: f.imputer.toJSON(), scaler: f.scaler.toJSON() },
      threshold: f.threshold,
      training: {
        rows: f.rows,
        scores: f.summary,
        anomalyRate: f.anomalyRate,
        quantiles: encodeArray(f.quantiles),
      },
      state: this.saveState(),
    });
  }

  /**
   * Restores a detector of this class from its model document.
   *
   * @throws {DetectionError} `INVALID_MODEL` for another format or version, altered content, a
   *   document of another algorithm, or state that does not fit the parameters.
   */
  static fromJSON<T extends Detector>(this: DetectorClass<T>, document: unknown): T {
    const doc = verifyDocument(document);
    let sut: T;
    try {
      sut = new this(doc.params);
    } catch (e) {
      throw new DetectionError(
        DetectionErrorCode.InvalidModel,
        `the model document's parameters are invalid: ${(e as Error).message}`,
      );
    }
    if (sut.algorithm !== doc.algorithm) {
      throw new DetectionError(
        DetectionErrorCode.InvalidModel,
        `the model document holds a '${doc.algorithm}' model, not '${sut.algorithm}'`,
      );
    }
    sut.restore(doc);
    return sut;
  }

  /** Fills this (unfitted) detector from a verified document. */
  protected restore(doc: ModelDocument): void {
    const d = doc.featureNames.length;
    try {
      const imputer = Imputer.fromJSON(doc.preprocessing.imputer);
      const scaler = Scaler.fromJSON(doc.preprocessing.scaler);
      if (scaler.cols !== d) throw new Error(`the scaler has ${scaler.cols} columns, not ${d}`);
      this.loadState(doc.state, d);
      this.fitted = {
        featureNames: doc.featureNames,
        imputer,
        scaler,
        threshold: doc.threshold,
        rows: doc.training.rows,
        summary: doc.training.scores,
        anomalyRate: doc.training.anomalyRate,
        quantiles: decodeArray(doc.training.quantiles, 'float64', 'training.quantiles', 1001),
      };
    } catch (e) {
      if (e instanceof DetectionError && e.code === DetectionErrorCode.InvalidModel) throw e;
      throw new DetectionError(
        DetectionErrorCode.InvalidModel,
        `the ${this.algorithm} model document is inconsistent: ${(e as Error).message}`,
      );
    }
  }

  /** Learns from the preprocessed training matrix; returns the training scores. */
  protected abstract fitModel(X: Matrix): Float64Array;

  /** Scores a preprocessed matrix (never empty, right width, finite). */
  protected abstract scoreModel(X: Matrix): Float64Array;

  /** Row-major per-feature contributions for a preprocessed matrix (explainable detectors). */
  protected explainModel(X: Matrix): Float64Array {
    throw new DetectionError(
      DetectionErrorCode.InvalidArgument,
      `${this.algorithm} does not explain its scores per feature (${X.rows} rows given)`,
    );
  }

  /** The algorithm's fitted state as JSON (use `encodeArray` for typed arrays). */
  protected abstract saveState(): Record<string, unknown>;

  /** Restores the state written by `saveState`; throws on anything inconsistent. */
  protected abstract loadState(state: Record<string, unknown>, nFeatures: number): void;

  /** Number of features seen in `fit`. */
  protected get nFeatures(): number {
    return this.state('nFeatures').featureNames.length;
  }

  private state(fn: string): Fitted {
    if (this.fitted === undefined) {
      throw new DetectionError(
        DetectionErrorCode.NotFitted,
        `${this.algorithm} is not fitted yet: call fit(X) before ${fn}`,
      );
    }
    return this.fitted;
  }

  private prepare(X: MatrixInput, fn: string): { M: Matrix; fitted: Fitted } {
    const fitted = this.state(fn);
    const M = checkMatrix(X, {
      arg: 'X',
      fn,
      allowNaN: fitted.imputer.acceptsMissing,
      cols: fitted.featureNames.length,
    });
    return { M, fitted };
  }

  /** Runs `fn` on preprocessed row blocks, so preprocessing copies stay small. */
  private forChunks(M: Matrix, fn: (chunk: Matrix, start: number) => void): void {
    const { imputer, scaler, featureNames } = this.state('score');
    const d = M.cols;
    for (let start = 0; start < M.rows; start += SCORE_CHUNK_ROWS) {
      const end = Math.min(M.rows, start + SCORE_CHUNK_ROWS);
      const view = new Matrix(M.data.subarray(start * d, end * d), end - start, d, featureNames);
      fn(scaler.transform(imputer.transform(view)), start);
    }
  }
}

function assertFiniteScores(scores: Float64Array, algorithm: string, fn: string): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i]!)) {
      throw overflowError(
        algorithm,
        `computed a non-finite score (${scores[i]}) in ${fn} at row ${i}`,
      );
    }
  }
}

/**
 * The error for arithmetic overflow: inputs are finite, but values near ±1e154 overflow when
 * squared. The user's remedy is to rescale, so the message says so.
 */
export function overflowError(algorithm: string, what: string): DetectionError {
  return new DetectionError(
    DetectionErrorCode.InvalidArgument,
    `${algorithm} ${what}: the values are too large for it; rescale the data (e.g. scaling: 'standard' or 'robust')`,
  );
}
