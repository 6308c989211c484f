import { Matrix } from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';

/**
 * The body of a REST detect call (`POST /api/v1/detectors/{id}/detect` centrally, `POST /detect`
 * on an edge agent, the serverless `detect` function): rows as arrays in feature order, or
 * records keyed by feature name, and optionally `explain`.
 */
export interface DetectRequest {
  readonly rows?: unknown;
  readonly records?: unknown;
  readonly explain?: boolean;
}

const FIELDS = new Set(['rows', 'records', 'explain']);

/**
 * Checks the envelope of a detect body the way the central service's validation does: an
 * object, no fields but `rows`, `records` and `explain`, and `explain` a boolean.
 *
 * @throws ServiceError `VALIDATION_FAILED`.
 */
export function parseDetectRequest(body: unknown): DetectRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'The body must be a JSON object: {"rows": [[…], …]} or {"records": [{…}, …]}.',
    );
  }
  const request = body as Record<string, unknown>;
  const unknown = Object.keys(request).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    const errors = unknown.map((field) => ({
      field,
      message: `property ${field} should not exist`,
    }));
    throw new ServiceError('VALIDATION_FAILED', errors.map((e) => e.message).join('; '), {
      errors,
    });
  }
  if (request.explain !== undefined && typeof request.explain !== 'boolean') {
    throw new ServiceError('VALIDATION_FAILED', 'explain: explain must be a boolean value', {
      errors: [{ field: 'explain', message: 'explain must be a boolean value' }],
    });
  }
  return request;
}

/**
 * The rows of a detect request as a matrix in the model's feature order. Every problem names the
 * row and the column; the detector-service's detect validates with this same function.
 *
 * @throws ServiceError `VALIDATION_FAILED`, or `PAYLOAD_TOO_LARGE` over `maxRows`.
 */
export function toFeatureMatrix(
  request: DetectRequest,
  features: readonly string[],
  maxRows: number,
): Matrix {
  const hasRows = request.rows !== undefined;
  const hasRecords = request.records !== undefined;
  if (hasRows === hasRecords) {
    throw new ServiceError('VALIDATION_FAILED', 'Send either "rows" or "records".');
  }
  const input = hasRows ? request.rows : request.records;
  const field = hasRows ? 'rows' : 'records';
  if (!Array.isArray(input) || input.length === 0) {
    throw new ServiceError('VALIDATION_FAILED', `"${field}" must be a non-empty array.`);
  }
  if (input.length > maxRows) {
    throw new ServiceError(
      'PAYLOAD_TOO_LARGE',
      `At most ${maxRows} rows per detect call (MAX_DETECTION_BATCH_SIZE); got ${input.length}. Split the batch, or use a batch job.`,
    );
  }
  const d = features.length;
  const data = new Float64Array(input.length * d);
  const known = new Set(features);
  input.forEach((row: unknown, i) => {
    if (hasRows) {
      if (!Array.isArray(row) || row.length !== d) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `rows[${i}] must be an array of ${d} numbers (${features.join(', ')}); got ${Array.isArray(row) ? `${row.length} values` : typeof row}.`,
        );
      }
      row.forEach(
        (value: unknown, j) => (data[i * d + j] = finite(value, i, features[j] ?? String(j))),
      );
      return;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `records[${i}] must be an object keyed by feature name.`,
      );
    }
    const record = row as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!known.has(key)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `records[${i}] has '${key}', which is not a feature of this model (${features.join(', ')}).`,
        );
      }
    }
    features.forEach((name, j) => {
      if (!(name in record)) {
        throw new ServiceError('VALIDATION_FAILED', `records[${i}] lacks feature '${name}'.`);
      }
      data[i * d + j] = finite(record[name], i, name);
    });
  });
  return new Matrix(data, input.length, d, features);
}

function finite(value: unknown, row: number, column: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `Row ${row}, column '${column}': expected a finite number, got ${value === null ? 'null' : (JSON.stringify(value) ?? typeof value)}.`,
    );
  }
  return value;
}
