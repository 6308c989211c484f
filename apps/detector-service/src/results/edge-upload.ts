import { ServiceError, type FieldProblem } from '@nomaly/platform-core';

/**
 * Most results one upload may carry. Edge agents send at most this many per batch (their
 * `EDGE_UPLOAD_BATCH_RESULTS` is capped at it); rows across the batch are bounded separately by
 * `MAX_DETECTION_BATCH_SIZE`.
 */
export const EDGE_UPLOAD_MAX_RESULTS = 1_000;

/** Problems listed in one answer: enough to fix a batch, bounded so the answer stays small. */
const MAX_PROBLEMS = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** One answered detect call of an edge agent, as validated. */
export interface EdgeResult {
  /** Made by the agent when it answered the call: the idempotency key of the upload. */
  readonly id: string;
  readonly detectorId: string;
  readonly modelId: string;
  readonly modelVersion: number;
  readonly scoredAt: Date;
  readonly scores: number[];
  readonly labels: number[];
  readonly threshold: number;
}

export interface EdgeUpload {
  readonly agentId: string;
  readonly results: EdgeResult[];
}

/**
 * Checks an upload body completely before anything is stored: a batch is taken whole or not at
 * all. Shape problems answer 400 naming each field (`results[3].scores[7]`); a batch over the
 * bounds answers 413 before any result is read.
 *
 * @throws ServiceError `VALIDATION_FAILED` (400) or `PAYLOAD_TOO_LARGE` (413).
 */
export function parseEdgeUpload(body: unknown, maxRows: number): EdgeUpload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServiceError('VALIDATION_FAILED', 'The body must be {"agentId", "results": [...]}.');
  }
  const { agentId, results } = body as { agentId?: unknown; results?: unknown };
  const problems: FieldProblem[] = [];
  if (typeof agentId !== 'string' || !AGENT_ID.test(agentId)) {
    problems.push({
      field: 'agentId',
      message: 'must be 1-128 letters, digits, dots, dashes, underscores or colons',
    });
  }
  if (!Array.isArray(results) || results.length === 0) {
    problems.push({ field: 'results', message: 'must be a non-empty array' });
    throw invalid(problems);
  }
  if (results.length > EDGE_UPLOAD_MAX_RESULTS) {
    throw new ServiceError(
      'PAYLOAD_TOO_LARGE',
      `At most ${EDGE_UPLOAD_MAX_RESULTS} results per upload; got ${results.length}. Split the batch.`,
    );
  }
  let rows = 0;
  for (const result of results) {
    const scores = (result as { scores?: unknown } | null)?.scores;
    if (Array.isArray(scores)) rows += scores.length;
  }
  if (rows > maxRows) {
    throw new ServiceError(
      'PAYLOAD_TOO_LARGE',
      `At most ${maxRows} rows per upload in all (MAX_DETECTION_BATCH_SIZE); got ${rows}. Split the batch.`,
    );
  }
  const parsed: EdgeResult[] = [];
  results.forEach((raw: unknown, i) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const result = parseResult(raw, `results[${i}]`, problems);
    if (result !== undefined) parsed.push(result);
  });
  if (problems.length > 0) throw invalid(problems);
  return { agentId: agentId as string, results: parsed };
}

function parseResult(raw: unknown, at: string, problems: FieldProblem[]): EdgeResult | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ field: at, message: 'must be an object' });
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const before = problems.length;
  for (const name of ['id', 'detectorId', 'modelId'] as const) {
    if (typeof r[name] !== 'string' || !UUID.test(r[name])) {
      problems.push({ field: `${at}.${name}`, message: 'must be a UUID' });
    }
  }
  const version = r.modelVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    problems.push({ field: `${at}.modelVersion`, message: 'must be a positive integer' });
  }
  const scoredAt = typeof r.scoredAt === 'string' ? new Date(r.scoredAt) : undefined;
  if (
    scoredAt === undefined ||
    !INSTANT.test(r.scoredAt as string) ||
    Number.isNaN(scoredAt.getTime())
  ) {
    problems.push({ field: `${at}.scoredAt`, message: 'must be an ISO 8601 instant' });
  }
  if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold)) {
    problems.push({ field: `${at}.threshold`, message: 'must be a finite number' });
  }
  const { scores, labels } = r;
  if (!Array.isArray(scores) || scores.length === 0) {
    problems.push({ field: `${at}.scores`, message: 'must be a non-empty array of numbers' });
  } else {
    const bad = scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
    if (bad >= 0) problems.push({ field: `${at}.scores[${bad}]`, message: 'must be finite' });
  }
  if (!Array.isArray(labels) || labels.length !== (Array.isArray(scores) ? scores.length : -1)) {
    problems.push({ field: `${at}.labels`, message: 'must be an array as long as scores' });
  } else {
    const bad = labels.findIndex((l) => l !== 0 && l !== 1);
    if (bad >= 0) problems.push({ field: `${at}.labels[${bad}]`, message: 'must be 0 or 1' });
  }
  if (problems.length > before) return undefined;
  return {
    id: (r.id as string).toLowerCase(),
    detectorId: (r.detectorId as string).toLowerCase(),
    modelId: (r.modelId as string).toLowerCase(),
    modelVersion: version as number,
    scoredAt: scoredAt as Date,
    scores: scores as number[],
    labels: labels as number[],
    threshold: r.threshold as number,
  };
}

function invalid(problems: readonly FieldProblem[]): ServiceError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  return new ServiceError(
    'VALIDATION_FAILED',
    shown.map((p) => `${p.field}: ${p.message}`).join('; '),
    { errors: shown },
  );
}
