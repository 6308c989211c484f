import { DetectionError, DetectionErrorCode } from '../core/errors.js';
import type { ScoreSummary } from '../core/stats.js';
import type { ImputerState } from '../preprocessing/imputer.js';
import type { ScalerState } from '../preprocessing/scaler.js';
import { canonicalJson, type BinaryArray } from './encoding.js';
import { sha256Hex, utf8 } from './sha256.js';

/** The `format` name of a detector model document. */
export const MODEL_FORMAT = 'nomaly.detector';
/** The one `formatVersion` this library reads and writes. */
export const MODEL_FORMAT_VERSION = 1;

/**
 * A fitted detector as a language-neutral JSON document. Plain JSON plus base64 binary arrays
 * (see `BinaryArray`); no code, no class instances. `sha256` is the SHA-256 of the RFC 8785
 * canonical JSON of every other field, so any change to the content is detected on load.
 */
export interface ModelDocument {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  /** Algorithm name in the catalogue, e.g. `iforest`. */
  algorithm: string;
  /** `nomaly-detection-core <version>` that wrote the document (informational). */
  producer: string;
  /** Every parameter, defaults included, so the document alone says how the model was built. */
  params: Record<string, unknown>;
  featureNames: string[];
  preprocessing: { imputer: ImputerState; scaler: ScalerState };
  /** Scores strictly above the threshold are anomalies. */
  threshold: number;
  training: {
    rows: number;
    /** Summary of the training scores. */
    scores: ScoreSummary;
    /** Share of training rows above the threshold. */
    anomalyRate: number;
    /** The 0th, 0.1th, …, 100th percentiles of the training scores (1001 values). */
    quantiles: BinaryArray;
  };
  /** Algorithm-specific fitted state. */
  state: Record<string, unknown>;
  sha256: string;
}

/** The SHA-256 of a document's content (every field but `sha256`). */
export function documentDigest(doc: Omit<ModelDocument, 'sha256'> | ModelDocument): string {
  const content: Record<string, unknown> = { ...doc };
  delete content['sha256'];
  return sha256Hex(utf8(canonicalJson(content)));
}

/** Adds the `sha256` field to a document. */
export function seal(doc: Omit<ModelDocument, 'sha256'>): ModelDocument {
  return { ...doc, sha256: documentDigest(doc) };
}

/**
 * Checks that `value` is a model document this library can read: the right format name and
 * version, the fields it needs, and a `sha256` that matches the content.
 *
 * @throws {DetectionError} `INVALID_MODEL` saying which of these fails.
 */
export function verifyDocument(value: unknown): ModelDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('a model document must be a JSON object');
  }
  const doc = value as Partial<ModelDocument> & Record<string, unknown>;
  if (doc.format !== MODEL_FORMAT) {
    throw invalid(`unknown model format ${JSON.stringify(doc.format)}; expected '${MODEL_FORMAT}'`);
  }
  if (doc.formatVersion !== MODEL_FORMAT_VERSION) {
    throw invalid(
      `model format version ${JSON.stringify(doc.formatVersion)} is not supported; this library reads version ${MODEL_FORMAT_VERSION}`,
    );
  }
  if (typeof doc.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(doc.sha256)) {
    throw invalid('the model document has no valid sha256 field');
  }
  let digest: string;
  try {
    digest = documentDigest(doc as ModelDocument);
  } catch (e) {
    throw invalid(`the model document cannot be canonicalized: ${(e as Error).message}`);
  }
  if (digest !== doc.sha256) {
    throw invalid(
      `the model document's content does not match its sha256 (expected ${doc.sha256}, computed ${digest}): it was modified or corrupted`,
    );
  }
  const shapeOk =
    typeof doc.algorithm === 'string' &&
    isRecord(doc.params) &&
    Array.isArray(doc.featureNames) &&
    doc.featureNames.every((n) => typeof n === 'string') &&
    isRecord(doc.preprocessing) &&
    typeof doc.threshold === 'number' &&
    isRecord(doc.training) &&
    isRecord(doc.state);
  if (!shapeOk) {
    throw invalid(
      'the model document lacks one of algorithm, params, featureNames, preprocessing, threshold, training, state',
    );
  }
  return doc as ModelDocument;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function invalid(message: string): DetectionError {
  return new DetectionError(DetectionErrorCode.InvalidModel, message);
}
