import type { Detector } from '../core/detector.js';
import { COMMON_PARAM_SPECS } from '../core/detector.js';
import { DetectionError, DetectionErrorCode } from '../core/errors.js';
import { coerceParam, type ParamSpecs } from '../core/params.js';
import { ENSEMBLE_PARAMS, Ensemble } from '../detectors/ensemble.js';
import { verifyDocument } from '../model/model-document.js';
import {
  BASE_ALGORITHMS,
  parameterSchema,
  type AlgorithmDescription,
  type BaseAlgorithm,
} from './catalogue.js';

/** A catalogue entry as services publish it (`GET /api/v1/detectors/algorithms`). */
export interface AlgorithmInfo extends AlgorithmDescription {
  /** JSON Schema of the parameters, common ones included, with defaults. */
  parameters: Record<string, unknown>;
}

const ENSEMBLE: BaseAlgorithm = {
  name: 'ensemble',
  title: 'Ensemble',
  summary:
    'Combines z-normalized scores of several detectors by average, maximum or average of maxima.',
  reference:
    'Aggarwal & Sathe, "Theoretical Foundations and Algorithms for Outlier Ensembles", SIGKDD Explorations 2015',
  explainable: false,
  randomized: true,
  specs: ENSEMBLE_PARAMS,
  create: (p) => new Ensemble(p),
  load: (doc) => Ensemble.fromJSON(doc),
};

const AUTO: BaseAlgorithm = {
  ...ENSEMBLE,
  name: 'auto',
  title: 'Automatic ensemble',
  summary:
    'The ensemble preset chosen on benchmark evidence; a good default when nothing is known of the data.',
};

const ALL: readonly BaseAlgorithm[] = [...BASE_ALGORITHMS, ENSEMBLE, AUTO];

/** Names accepted by {@link createDetector}. */
export const ALGORITHM_NAMES: readonly string[] = ALL.map((a) => a.name);

function entry(name: string): BaseAlgorithm {
  const found = ALL.find((a) => a.name === name);
  if (found === undefined) {
    throw new DetectionError(
      DetectionErrorCode.InvalidArgument,
      `unknown algorithm '${name}'; known algorithms: ${ALGORITHM_NAMES.join(', ')}`,
    );
  }
  return found;
}

/** Every algorithm with its parameter schema. */
export function listAlgorithms(): AlgorithmInfo[] {
  return ALL.map(describe);
}

/** One algorithm's entry. */
export function describeAlgorithm(name: string): AlgorithmInfo {
  return describe(entry(name));
}

function describe(a: BaseAlgorithm): AlgorithmInfo {
  return {
    name: a.name,
    title: a.title,
    summary: a.summary,
    reference: a.reference,
    explainable: a.explainable,
    randomized: a.randomized,
    parameters: parameterSchema(a.specs),
  };
}

/**
 * A new, unfitted detector. `auto` is the ensemble with its default (benchmark-chosen) members.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an unknown algorithm or invalid parameters.
 */
export function createDetector(name: string, params: object = {}): Detector {
  return entry(name).create(params);
}

/**
 * A fitted detector restored from its model document, whatever its algorithm.
 *
 * @throws {DetectionError} `INVALID_MODEL` for an unknown format, version or algorithm, or
 *   altered content.
 */
export function loadDetector(document: unknown): Detector {
  const doc = verifyDocument(document);
  const found = ALL.find((a) => a.name === doc.algorithm && a.name !== 'auto');
  if (found === undefined) {
    throw new DetectionError(
      DetectionErrorCode.InvalidModel,
      `the model document holds an unknown algorithm '${doc.algorithm}'`,
    );
  }
  return found.load(doc);
}

/** Converts a `name=value` command-line parameter to its declared type and validates it. */
export function parseParam(algorithm: string, name: string, text: string): unknown {
  const specs: ParamSpecs = { ...COMMON_PARAM_SPECS, ...entry(algorithm).specs };
  return coerceParam(algorithm, specs, name, text);
}
