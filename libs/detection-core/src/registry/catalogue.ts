import { COMMON_PARAM_SPECS, type Detector } from '../core/detector.js';
import { DetectionError, DetectionErrorCode } from '../core/errors.js';
import { toJsonSchema, type ParamSpecs } from '../core/params.js';
import { COPOD, COPOD_PARAMS } from '../detectors/copod.js';
import { ECOD, ECOD_PARAMS } from '../detectors/ecod.js';
import {
  EXTENDED_ISOLATION_FOREST_PARAMS,
  ExtendedIsolationForest,
} from '../detectors/extended-isolation-forest.js';
import { HBOS, HBOS_PARAMS } from '../detectors/hbos.js';
import { ISOLATION_FOREST_PARAMS, IsolationForest } from '../detectors/isolation-forest.js';
import { KNN, KNN_PARAMS } from '../detectors/knn.js';
import { LOF, LOF_PARAMS } from '../detectors/lof.js';
import { LODA, LODA_PARAMS } from '../detectors/loda.js';
import { MCD, MCD_PARAMS } from '../detectors/mcd.js';
import { PCA, PCA_PARAMS } from '../detectors/pca.js';

/** How an algorithm is described to users (CLI, API). */
export interface AlgorithmDescription {
  /** Name used in parameters, model documents, the CLI and the API. */
  name: string;
  title: string;
  /** One sentence on what it detects well. */
  summary: string;
  /** The paper that defines it. */
  reference: string;
  explainable: boolean;
  /** Whether results depend on `seed`. */
  randomized: boolean;
}

/** What the catalogue knows of a single (non-ensemble) algorithm. */
export interface BaseAlgorithm extends AlgorithmDescription {
  /** Its own parameters (the common ones are added by the registry). */
  specs: ParamSpecs;
  create(params: object): Detector;
  /** Restores a fitted model from its document (see `Detector.fromJSON`). */
  load(document: unknown): Detector;
}

/**
 * The single-model algorithms. The ensemble builds its members from this list, and the public
 * registry adds the ensemble on top — kept apart so that neither imports the other.
 */
export const BASE_ALGORITHMS: readonly BaseAlgorithm[] = [
  {
    name: 'iforest',
    title: 'Isolation forest',
    summary:
      'Random axis-parallel trees isolate rare, different rows in few splits; fast and robust on mixed data.',
    reference: 'Liu, Ting & Zhou, "Isolation Forest", ICDM 2008',
    explainable: true,
    randomized: true,
    specs: ISOLATION_FOREST_PARAMS,
    create: (p) => new IsolationForest(p),
    load: (doc) => IsolationForest.fromJSON(doc),
  },
  {
    name: 'eif',
    title: 'Extended isolation forest',
    summary:
      'Isolation with random hyperplanes instead of axis-parallel cuts: no axis artefacts; scale-dependent, so consider scaling: standard.',
    reference: 'Hariri, Carrasco Kind & Brunner, "Extended Isolation Forest", IEEE TKDE 2021',
    explainable: false,
    randomized: true,
    specs: EXTENDED_ISOLATION_FOREST_PARAMS,
    create: (p) => new ExtendedIsolationForest(p),
    load: (doc) => ExtendedIsolationForest.fromJSON(doc),
  },
  {
    name: 'knn',
    title: 'k-nearest-neighbour distance',
    summary:
      'Distance to the k-th nearest training row (or the mean or median of the k distances): global outliers in any shape of data.',
    reference:
      'Ramaswamy, Rastogi & Shim, "Efficient Algorithms for Mining Outliers from Large Data Sets", SIGMOD 2000',
    explainable: false,
    randomized: false,
    specs: KNN_PARAMS,
    create: (p) => new KNN(p),
    load: (doc) => KNN.fromJSON(doc),
  },
  {
    name: 'lof',
    title: 'Local outlier factor',
    summary:
      'Local density compared with the neighbours’ density: outliers relative to their own cluster.',
    reference:
      'Breunig, Kriegel, Ng & Sander, "LOF: Identifying Density-Based Local Outliers", SIGMOD 2000',
    explainable: false,
    randomized: false,
    specs: LOF_PARAMS,
    create: (p) => new LOF(p),
    load: (doc) => LOF.fromJSON(doc),
  },
  {
    name: 'hbos',
    title: 'Histogram-based outlier score',
    summary:
      'Sum over features of −log histogram density: very fast, per-feature explanations, blind to interactions.',
    reference: 'Goldstein & Dengel, "Histogram-based Outlier Score (HBOS)", KI 2012',
    explainable: true,
    randomized: false,
    specs: HBOS_PARAMS,
    create: (p) => new HBOS(p),
    load: (doc) => HBOS.fromJSON(doc),
  },
  {
    name: 'ecod',
    title: 'ECOD (empirical CDF tails)',
    summary:
      'Sum over features of the more extreme empirical tail probability: parameter-free, fast, explainable.',
    reference:
      'Li, Zhao, Hu, Botta, Ionescu & Chen, "ECOD: Unsupervised Outlier Detection Using Empirical Cumulative Distribution Functions", TKDE 2022',
    explainable: true,
    randomized: false,
    specs: ECOD_PARAMS,
    create: (p) => new ECOD(p),
    load: (doc) => ECOD.fromJSON(doc),
  },
  {
    name: 'copod',
    title: 'COPOD (empirical copula)',
    summary:
      'Copula-based tail probabilities with skewness correction: parameter-free, fast, explainable.',
    reference: 'Li, Zhao, Botta, Ionescu & Hu, "COPOD: Copula-Based Outlier Detection", ICDM 2020',
    explainable: true,
    randomized: false,
    specs: COPOD_PARAMS,
    create: (p) => new COPOD(p),
    load: (doc) => COPOD.fromJSON(doc),
  },
  {
    name: 'loda',
    title: 'LODA (random projection histograms)',
    summary:
      'Average −log density over sparse random 1-D projections: light, sees feature interactions.',
    reference: 'Pevný, "Loda: Lightweight on-line detector of anomalies", Machine Learning 2016',
    explainable: false,
    randomized: true,
    specs: LODA_PARAMS,
    create: (p) => new LODA(p),
    load: (doc) => LODA.fromJSON(doc),
  },
  {
    name: 'pca',
    title: 'PCA reconstruction error',
    summary:
      'Distance to the principal subspace of the standardized data: rows that break the usual correlations.',
    reference:
      'Shyu, Chen, Sarinnapakorn & Chang, "A novel anomaly detection scheme based on principal component classifier", ICDM 2003',
    explainable: true,
    randomized: false,
    specs: PCA_PARAMS,
    create: (p) => new PCA(p),
    load: (doc) => PCA.fromJSON(doc),
  },
  {
    name: 'mcd',
    title: 'Robust covariance (MCD)',
    summary:
      'Mahalanobis distance under the minimum-covariance-determinant estimate: elliptical data, robust to the outliers themselves.',
    reference:
      'Rousseeuw & Van Driessen, "A Fast Algorithm for the Minimum Covariance Determinant Estimator", Technometrics 1999',
    explainable: true,
    randomized: true,
    specs: MCD_PARAMS,
    create: (p) => new MCD(p),
    load: (doc) => MCD.fromJSON(doc),
  },
];

/** The catalogue entry of a single algorithm. */
export function baseAlgorithm(name: string): BaseAlgorithm {
  const found = BASE_ALGORITHMS.find((a) => a.name === name);
  if (found === undefined) {
    throw new DetectionError(
      DetectionErrorCode.InvalidArgument,
      `unknown algorithm '${name}'; known algorithms: ${BASE_ALGORITHMS.map((a) => a.name).join(', ')}`,
    );
  }
  return found;
}

/** JSON Schema of an algorithm's parameters, the common ones included. */
export function parameterSchema(specs: ParamSpecs): Record<string, unknown> {
  return toJsonSchema({ ...COMMON_PARAM_SPECS, ...specs });
}
