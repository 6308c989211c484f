import {
  ALGORITHM_NAMES,
  DetectionError,
  createDetector,
  describeAlgorithm,
  parseParam,
  type Detector,
} from '@nomaly/detection-core';
import { usageError } from './cli-error.js';

/**
 * Builds a detector from `--algorithm`, `--param key=value …` and `--seed`, turning every
 * mistake into a usage error that names the option.
 */
export function detectorFromOptions(opts: {
  algorithm: string | undefined;
  params: readonly string[];
  seed: string | undefined;
  warn: (message: string) => void;
}): Detector {
  const { algorithm } = opts;
  if (algorithm === undefined) {
    throw usageError(`--algorithm is required; one of ${ALGORITHM_NAMES.join(', ')}`);
  }
  if (!ALGORITHM_NAMES.includes(algorithm)) {
    throw usageError(
      `--algorithm ${algorithm}: unknown algorithm; known algorithms: ${ALGORITHM_NAMES.join(', ')}`,
    );
  }
  const params: Record<string, unknown> = {};
  try {
    for (const p of opts.params) {
      const eq = p.indexOf('=');
      if (eq <= 0)
        throw usageError(`--param ${p}: expected key=value, e.g. --param nEstimators=200`);
      params[p.slice(0, eq)] = parseParam(algorithm, p.slice(0, eq), p.slice(eq + 1));
    }
    if (opts.seed !== undefined) {
      if (acceptsSeed(algorithm)) params['seed'] = parseParam(algorithm, 'seed', opts.seed);
      else opts.warn(`note: ${algorithm} is deterministic; --seed has no effect`);
    }
    return createDetector(algorithm, params);
  } catch (e) {
    if (e instanceof DetectionError) throw usageError(`--param: ${e.message}`);
    throw e;
  }
}

/** Whether an algorithm has a `seed` parameter. */
export function acceptsSeed(algorithm: string): boolean {
  const schema = describeAlgorithm(algorithm).parameters as { properties: Record<string, unknown> };
  return 'seed' in schema.properties;
}
