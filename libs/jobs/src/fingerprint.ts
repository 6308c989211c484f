import { createHash } from 'node:crypto';

/** A job request as submitted, before validation against the detector and dataset. */
export interface JobRequest {
  readonly type: string;
  readonly detectorId: string;
  readonly datasetId: string;
  readonly seed?: number;
}

/**
 * Identifies "the same submission" for an idempotency key: SHA-256 of the request's fields in a
 * fixed order, so key order, spacing or an explicit `"seed": undefined` do not make two equal
 * requests differ, while any difference in what would run does.
 */
export function jobFingerprint(request: JobRequest): string {
  const canonical = JSON.stringify([
    request.type,
    request.detectorId.toLowerCase(),
    request.datasetId.toLowerCase(),
    request.seed ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
