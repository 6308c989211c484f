import { ServiceError, type Page } from '@nomaly/platform-core';
import { fetchRawPage, type Database } from '@nomaly/platform-persistence';
import type { EntityManager } from 'typeorm';
import type { JobError, JobRecord, JobResult, JobSpec } from './job-record.js';
import { OPEN_STATES, sourcesOf, type JobState, type JobType } from './job-state.js';

const COLUMNS = `id, tenant_id, type, state, detector_id, dataset_id, seed, spec, total_rows,
  chunk_rows, progress_rows, attempts, interruptions, error_code, error_detail, result,
  created_by, idempotency_key, request_fingerprint, created_at, updated_at, started_at,
  finished_at`;

interface JobRow {
  id: string;
  tenant_id: string;
  type: JobType;
  state: JobState;
  detector_id: string;
  dataset_id: string;
  seed: number | null;
  spec: JobSpec;
  /** bigint columns: node-postgres returns them as strings. */
  total_rows: string;
  chunk_rows: number;
  progress_rows: string;
  attempts: number;
  interruptions: number;
  error_code: string | null;
  error_detail: string | null;
  result: JobResult | null;
  created_by: string;
  idempotency_key: string | null;
  request_fingerprint: string;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    type: row.type,
    state: row.state,
    detectorId: row.detector_id,
    datasetId: row.dataset_id,
    seed: row.seed,
    spec: row.spec,
    totalRows: Number(row.total_rows),
    chunkRows: row.chunk_rows,
    progressRows: Number(row.progress_rows),
    attempts: row.attempts,
    interruptions: row.interruptions,
    error:
      row.error_code === null ? null : { code: row.error_code, detail: row.error_detail ?? '' },
    result: row.result,
    createdBy: row.created_by,
    idempotencyKey: row.idempotency_key,
    requestFingerprint: row.request_fingerprint,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** A job about to be accepted. */
export interface NewJob {
  readonly tenantId: string;
  readonly type: JobType;
  readonly detectorId: string;
  readonly datasetId: string;
  readonly seed: number | null;
  readonly spec: JobSpec;
  readonly totalRows: number;
  readonly chunkRows: number;
  /** The caller (token subject): idempotency keys are scoped by tenant and caller. */
  readonly createdBy: string;
  readonly idempotencyKey: string | null;
  readonly requestFingerprint: string;
}

/** One chunk of a detect job's scores. */
export interface ChunkScores {
  readonly index: number;
  readonly offset: number;
  readonly scores: Float64Array;
  readonly anomalies: number;
}

export interface JobListFilter {
  readonly state?: JobState;
  readonly type?: JobType;
  readonly detectorId?: string;
}

/** A job the reconciler looks at. */
export interface OpenJob {
  readonly id: string;
  readonly type: JobType;
  readonly state: JobState;
}

/** One scored row of a detect job. */
export interface JobResultRow {
  rowIndex: number;
  score: number;
  /** 1 when the score is above the model's threshold. */
  label: number;
}

/** Rows per page of `GET /jobs/{id}/results`: default and the clamp. */
export const RESULTS_DEFAULT_LIMIT = 1_000;
export const RESULTS_MAX_LIMIT = 10_000;

/** What `cancel` found. */
export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly record: JobRecord }
  | { readonly kind: 'finished'; readonly record: JobRecord }
  | { readonly kind: 'missing' };

/**
 * The `jobs` and `job_chunks` tables: every state change is one guarded UPDATE (see
 * `job-state.ts`), chunk writes are idempotent, and user-facing reads are scoped by tenant — a
 * job of another tenant is missing, exactly like one that does not exist.
 */
export class JobStore {
  constructor(private readonly database: Database) {}

  /**
   * Accepts a job. With an idempotency key already used by the same caller, nothing is written
   * and the existing job comes back with `created: false` (the caller compares fingerprints).
   */
  async insert(job: NewJob): Promise<{ record: JobRecord; created: boolean }> {
    const rows = await this.query<JobRow>(
      `INSERT INTO jobs (tenant_id, type, state, detector_id, dataset_id, seed, spec, total_rows,
                         chunk_rows, created_by, idempotency_key, request_fingerprint)
       VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (tenant_id, created_by, idempotency_key) WHERE idempotency_key IS NOT NULL
       DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        job.tenantId,
        job.type,
        job.detectorId,
        job.datasetId,
        job.seed,
        JSON.stringify(job.spec),
        job.totalRows,
        job.chunkRows,
        job.createdBy,
        job.idempotencyKey,
        job.requestFingerprint,
      ],
    );
    const [inserted] = rows;
    if (inserted !== undefined) return { record: toRecord(inserted), created: true };
    const existing =
      job.idempotencyKey === null
        ? undefined
        : await this.findByIdempotencyKey(job.tenantId, job.createdBy, job.idempotencyKey);
    if (existing === undefined) {
      throw new Error(
        `jobs: the insert for idempotency key "${job.idempotencyKey}" conflicted, but no job holds the key`,
      );
    }
    return { record: existing, created: false };
  }

  async findByIdempotencyKey(
    tenantId: string,
    createdBy: string,
    key: string,
  ): Promise<JobRecord | undefined> {
    const [row] = await this.query<JobRow>(
      `SELECT ${COLUMNS} FROM jobs
        WHERE tenant_id = $1 AND created_by = $2 AND idempotency_key = $3`,
      [tenantId, createdBy, key],
    );
    return row === undefined ? undefined : toRecord(row);
  }

  /** The job of the tenant, or undefined (another tenant's job is undefined too). */
  async get(tenantId: string, id: string): Promise<JobRecord | undefined> {
    const [row] = await this.query<JobRow>(
      `SELECT ${COLUMNS} FROM jobs WHERE id = $1 AND tenant_id = $2`,
      [id, tenantId],
    );
    return row === undefined ? undefined : toRecord(row);
  }

  /** Any tenant's job: for the worker, which runs what the queue hands it. */
  async getById(id: string): Promise<JobRecord | undefined> {
    const [row] = await this.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The tenant's jobs, oldest first, after the cursor of the previous page. */
  async list(
    tenantId: string,
    filter: JobListFilter,
    page: { readonly limit: number; readonly cursor: string | undefined },
  ): Promise<Page<JobRecord>> {
    const where = ['tenant_id = $1'];
    const values: unknown[] = [tenantId];
    const add = (clause: (n: number) => string, value: unknown): void => {
      values.push(value);
      where.push(clause(values.length));
    };
    if (filter.state !== undefined) add((n) => `state = $${n}`, filter.state);
    if (filter.type !== undefined) add((n) => `type = $${n}`, filter.type);
    if (filter.detectorId !== undefined) add((n) => `detector_id = $${n}`, filter.detectorId);
    return fetchRawPage(
      (sql, parameters) => this.query<JobRow>(sql, parameters),
      {
        select: `SELECT ${COLUMNS} FROM jobs`,
        where,
        values,
        position: (row) => ({ createdAt: row.created_at, id: row.id }),
      },
      page,
      toRecord,
    );
  }

  /**
   * Cancels a queued or running job. A running job's worker notices at its next chunk (its
   * writes are refused from now on) and stops.
   */
  async cancel(tenantId: string, id: string): Promise<CancelOutcome> {
    const [row] = await this.update<JobRow>(
      `UPDATE jobs SET state = 'cancelled', finished_at = now(), updated_at = now()
        WHERE id = $1 AND tenant_id = $2 AND state = ANY($3)
        RETURNING ${COLUMNS}`,
      [id, tenantId, sourcesOf('cancelled')],
    );
    if (row !== undefined) return { kind: 'cancelled', record: toRecord(row) };
    const current = await this.get(tenantId, id);
    if (current === undefined) return { kind: 'missing' };
    return current.state === 'cancelled'
      ? { kind: 'cancelled', record: current }
      : { kind: 'finished', record: current };
  }

  /**
   * A worker takes the job: running, one more attempt, and one more interruption when it was
   * already running (its previous worker vanished). Undefined when the job is finished or gone.
   */
  async claim(id: string): Promise<JobRecord | undefined> {
    const [row] = await this.update<JobRow>(
      `UPDATE jobs
          SET state = 'running',
              attempts = attempts + 1,
              interruptions = interruptions + CASE WHEN state = 'running' THEN 1 ELSE 0 END,
              started_at = coalesce(started_at, now()),
              updated_at = now()
        WHERE id = $1 AND state = ANY($2)
        RETURNING ${COLUMNS}`,
      [id, sourcesOf('running')],
    );
    return row === undefined ? undefined : toRecord(row);
  }

  /** Indexes of the chunks already stored for a job. */
  async storedChunks(id: string): Promise<Set<number>> {
    const rows = await this.query<{ chunk_index: number }>(
      `SELECT chunk_index FROM job_chunks WHERE job_id = $1`,
      [id],
    );
    return new Set(rows.map((row) => row.chunk_index));
  }

  /**
   * Stores one chunk of scores and counts its rows in the job's progress, in one transaction,
   * while the job is running. A chunk already stored is left as it is (and not counted twice).
   * False when the job is no longer running (cancelled, or finished by another worker): nothing
   * is written, and the caller stops.
   */
  async writeChunk(id: string, chunk: ChunkScores): Promise<boolean> {
    return this.database.dataSource.transaction(async (manager) => {
      const [job] = await manager.query<Array<{ state: JobState }>>(
        `SELECT state FROM jobs WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (job?.state !== 'running') return false;
      const inserted = await manager.query<Array<{ row_count: number }>>(
        `INSERT INTO job_chunks (job_id, chunk_index, row_offset, row_count, scores, anomalies)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (job_id, chunk_index) DO NOTHING
         RETURNING row_count`,
        [
          id,
          chunk.index,
          chunk.offset,
          chunk.scores.length,
          encodeScores(chunk.scores),
          chunk.anomalies,
        ],
      );
      const rows = inserted[0]?.row_count ?? 0;
      await manager.query(
        `UPDATE jobs SET progress_rows = progress_rows + $2, updated_at = now() WHERE id = $1`,
        [id, rows],
      );
      return true;
    });
  }

  /** Rows and anomalies of the chunks stored for a job. */
  async chunkSummary(id: string): Promise<{ chunks: number; rows: number; anomalies: number }> {
    const [row] = await this.query<{
      chunks: string;
      rows: string | null;
      anomalies: string | null;
    }>(
      `SELECT count(*) AS chunks, sum(row_count) AS rows, sum(anomalies) AS anomalies
         FROM job_chunks WHERE job_id = $1`,
      [id],
    );
    return {
      chunks: Number(row?.chunks ?? 0),
      rows: Number(row?.rows ?? 0),
      anomalies: Number(row?.anomalies ?? 0),
    };
  }

  /** Sets a running job's progress (rows read so far); false when it is no longer running. */
  async setProgress(id: string, rows: number): Promise<boolean> {
    const updated = await this.update<{ id: string }>(
      `UPDATE jobs SET progress_rows = $2, updated_at = now()
        WHERE id = $1 AND state = 'running' RETURNING id`,
      [id, rows],
    );
    return updated.length > 0;
  }

  /** The job's state now, or undefined when it is gone. */
  async stateOf(id: string): Promise<JobState | undefined> {
    const [row] = await this.query<{ state: JobState }>(`SELECT state FROM jobs WHERE id = $1`, [
      id,
    ]);
    return row?.state;
  }

  /**
   * Marks a running job succeeded with its result; `within` runs in the same transaction (a
   * train job records the new version on its detector there). False when the job was no longer
   * running — cancelled meanwhile, or finished by another worker — and `within` did not run.
   */
  async succeed(
    id: string,
    result: JobResult,
    within?: (manager: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.database.dataSource.transaction(async (manager) => {
      const updated = updatedRows<{ id: string }>(
        await manager.query(
          `UPDATE jobs SET state = 'succeeded', result = $2, error_code = NULL, error_detail = NULL,
                         finished_at = now(), updated_at = now()
          WHERE id = $1 AND state = ANY($3) RETURNING id`,
          [id, JSON.stringify(result), sourcesOf('succeeded')],
        ),
      );
      if (updated.length === 0) return false;
      await within?.(manager);
      return true;
    });
  }

  /** Marks an open job failed; false when it had already finished. */
  async fail(id: string, error: JobError): Promise<boolean> {
    const updated = await this.update<{ id: string }>(
      `UPDATE jobs SET state = 'failed', error_code = $2, error_detail = $3,
                       finished_at = now(), updated_at = now()
        WHERE id = $1 AND state = ANY($4) RETURNING id`,
      [id, error.code, error.detail, sourcesOf('failed')],
    );
    return updated.length > 0;
  }

  /**
   * Hands a running job back to the queue: after SIGTERM (`error` undefined), or to be retried
   * after a transient failure (`error` says what failed). False when it was no longer running.
   */
  async requeue(id: string, error?: JobError): Promise<boolean> {
    const updated = await this.update<{ id: string }>(
      `UPDATE jobs SET state = 'queued', updated_at = now(),
                       error_code = coalesce($2, error_code), error_detail = coalesce($3, error_detail)
        WHERE id = $1 AND state = ANY($4) RETURNING id`,
      [id, error?.code ?? null, error?.detail ?? null, sourcesOf('queued')],
    );
    return updated.length > 0;
  }

  /**
   * Deletes up to `limit` jobs that finished more than `retentionDays` ago, oldest first, with
   * their stored scores (`job_chunks` cascade); returns how many went.
   */
  async purgeFinished(retentionDays: number, limit: number): Promise<number> {
    const rows = await this.update<{ id: string }>(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs
          WHERE state IN ('succeeded', 'failed', 'cancelled')
            AND finished_at < now() - make_interval(days => $1)
          ORDER BY finished_at LIMIT $2)
       RETURNING id`,
      [retentionDays, limit],
    );
    return rows.length;
  }

  /** Accepted and unfinished jobs, oldest first: what the queue must hold. */
  async open(limit: number): Promise<OpenJob[]> {
    return this.query<OpenJob>(
      `SELECT id, type, state FROM jobs WHERE state = ANY($1) ORDER BY created_at LIMIT $2`,
      [OPEN_STATES, limit],
    );
  }

  /**
   * One page of a detect job's scores by row index, from the row the cursor names. Rows of
   * chunks not stored yet (a running job) are absent; each row carries its index.
   *
   * @throws ServiceError `NOT_FOUND` for a missing job (or another tenant's), or a train job.
   */
  async results(
    tenantId: string,
    id: string,
    page: { readonly limit: number; readonly cursor: string | undefined },
  ): Promise<Page<JobResultRow>> {
    const job = await this.get(tenantId, id);
    if (job === undefined) throw new ServiceError('NOT_FOUND', `No job with id ${id}.`);
    if (job.spec.type !== 'detect') {
      throw new ServiceError(
        'NOT_FOUND',
        `Job ${id} is a train job: it has no scores (its result names the model version).`,
      );
    }
    const { threshold } = job.spec;
    const start = decodeRowCursor(page.cursor);
    const chunks = await this.query<{ row_offset: string; scores: Buffer }>(
      `SELECT row_offset, scores FROM job_chunks
        WHERE job_id = $1 AND row_offset + row_count > $2
        ORDER BY chunk_index LIMIT $3`,
      [id, start, Math.ceil(page.limit / job.chunkRows) + 1],
    );
    const items: JobResultRow[] = [];
    let more = false;
    for (const chunk of chunks) {
      const offset = Number(chunk.row_offset);
      const scores = decodeScores(chunk.scores);
      for (let i = Math.max(0, start - offset); i < scores.length; i++) {
        if (items.length === page.limit) {
          more = true;
          break;
        }
        const score = scores[i] as number;
        items.push({ rowIndex: offset + i, score, label: score > threshold ? 1 : 0 });
      }
      if (more) break;
    }
    const last = items[items.length - 1];
    return {
      items,
      ...(more && last !== undefined ? { nextCursor: encodeRowCursor(last.rowIndex + 1) } : {}),
    };
  }

  private query<Row>(sql: string, values: unknown[]): Promise<Row[]> {
    return this.database.dataSource.query<Row[]>(sql, values);
  }

  /** An UPDATE or DELETE … RETURNING: the rows it returned. */
  private async update<Row>(sql: string, values: unknown[]): Promise<Row[]> {
    return updatedRows<Row>(await this.database.dataSource.query(sql, values));
  }
}

/**
 * The rows an UPDATE … RETURNING gave back. TypeORM answers UPDATE and DELETE statements with
 * `[rows, affectedCount]` (and every other statement with the rows).
 */
function updatedRows<Row>(raw: unknown): Row[] {
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[0])) {
    throw new Error('jobs: an UPDATE did not answer [rows, affectedCount]');
  }
  return raw[0] as Row[];
}

/** A chunk's scores as stored: IEEE 754 doubles, little-endian, whatever the machine's order. */
export function encodeScores(scores: Float64Array): Buffer {
  const bytes = Buffer.allocUnsafe(scores.length * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < scores.length; i++) view.setFloat64(i * 8, scores[i] as number, true);
  return bytes;
}

/** The scores of a stored chunk (see {@link encodeScores}). */
export function decodeScores(bytes: Buffer): Float64Array {
  if (bytes.length % 8 !== 0) {
    throw new Error(`job_chunks.scores holds ${bytes.length} bytes, not a whole number of doubles`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scores = new Float64Array(bytes.length / 8);
  for (let i = 0; i < scores.length; i++) scores[i] = view.getFloat64(i * 8, true);
  return scores;
}

/** `?limit=` of the results route: default {@link RESULTS_DEFAULT_LIMIT}, clamped to the maximum. */
export function clampResultsLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return RESULTS_DEFAULT_LIMIT;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ServiceError('VALIDATION_FAILED', `limit must be a positive integer, got "${raw}"`);
  }
  return Math.min(RESULTS_MAX_LIMIT, Math.max(1, Number(raw)));
}

function encodeRowCursor(row: number): string {
  return Buffer.from(`row|${row}`, 'utf8').toString('base64url');
}

function decodeRowCursor(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const decoded = /^[A-Za-z0-9_-]{1,40}$/.test(raw)
    ? /^row\|(\d{1,15})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'))
    : null;
  if (decoded === null) {
    throw new ServiceError('VALIDATION_FAILED', 'cursor is not one this API returned');
  }
  return Number(decoded[1]);
}

/** The record's `JobError` from anything thrown (our errors keep their code and message). */
export function jobErrorOf(error: unknown): JobError {
  if (error instanceof ServiceError) return { code: error.code, detail: error.message };
  return { code: 'INTERNAL', detail: 'The job failed unexpectedly; see the worker log.' };
}
