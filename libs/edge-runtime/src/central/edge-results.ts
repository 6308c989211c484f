/**
 * The wire contract of `POST /api/v1/results/edge` (detector-service), as agents send it.
 */

/** Most results the central endpoint takes in one upload (its `EDGE_UPLOAD_MAX_RESULTS`). */
export const EDGE_UPLOAD_MAX_RESULTS = 1_000;

/** One answered detect call, as buffered by an agent and uploaded. */
export interface EdgeResult {
  /** A UUID the agent made when it answered: the idempotency key of the upload. */
  readonly id: string;
  readonly detectorId: string;
  readonly modelId: string;
  readonly modelVersion: number;
  /** ISO 8601 instant the call was answered. */
  readonly scoredAt: string;
  readonly scores: readonly number[];
  readonly labels: readonly number[];
  readonly threshold: number;
}

/** Every id of the batch central now holds: the agent may delete exactly these. */
export interface EdgeUploadReceipt {
  readonly accepted: readonly string[];
  readonly duplicates: readonly string[];
}
