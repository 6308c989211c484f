/**
 * Stable error codes of the detection library. Services map each code to one HTTP status and one
 * gRPC status in a single place, so the codes never change meaning once published.
 */
export const DetectionErrorCode = {
  /** An argument has the wrong type, range or value (e.g. `contamination: 2`). */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** A matrix has no rows or no columns. */
  EmptyInput: 'EMPTY_INPUT',
  /** Rows of unequal length, or a column count that differs from the one seen in `fit`. */
  ShapeMismatch: 'SHAPE_MISMATCH',
  /** NaN where the missing-value policy rejects it, or ±Infinity anywhere. */
  NonFiniteValue: 'NON_FINITE_VALUE',
  /** `score`, `predict`, … called before `fit`. */
  NotFitted: 'NOT_FITTED',
  /** A model document that is malformed, of an unknown format or version, or tampered with. */
  InvalidModel: 'INVALID_MODEL',
} as const;

export type DetectionErrorCode = (typeof DetectionErrorCode)[keyof typeof DetectionErrorCode];

/** The one error type thrown by the library; `code` is stable, `message` is for humans. */
export class DetectionError extends Error {
  override readonly name = 'DetectionError';

  constructor(
    readonly code: DetectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throws {@link DetectionErrorCode.InvalidArgument} unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new DetectionError(DetectionErrorCode.InvalidArgument, message);
}
