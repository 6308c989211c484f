import { Inject, Injectable } from '@nestjs/common';
import { ServiceError, type FieldProblem, type Page } from '@nomaly/platform-core';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import { Database, fetchRawPage } from '@nomaly/platform-persistence';
import type { DetectorConfig } from '../config.js';
import { parseEdgeUpload, type EdgeResult } from './edge-upload.js';

/** What an upload answers: every id of the batch central now holds, so the agent may drop them. */
export interface EdgeUploadReceipt {
  /** Stored by this call. */
  accepted: string[];
  /** Already held (an earlier upload, or repeated within this batch): nothing stored again. */
  duplicates: string[];
}

export interface EdgeResultDto {
  id: string;
  agentId: string;
  detectorId: string;
  modelId: string;
  modelVersion: number;
  scoredAt: string;
  receivedAt: string;
  threshold: number;
  scores: number[];
  labels: number[];
  anomalies: number;
}

interface EdgeResultRow {
  id: string;
  agent_id: string;
  detector_id: string;
  model_id: string;
  model_version: number;
  scored_at: Date;
  received_at: Date;
  threshold: number;
  scores: number[];
  labels: number[];
  anomalies: number;
}

/** Problems named per result when a batch refers to detectors the tenant does not have. */
const MAX_REFERENCE_PROBLEMS = 20;

/**
 * Results scored by edge agents: stored idempotently by the id the agent made, each checked to
 * belong to a detector of the caller's tenant and to that detector's model.
 */
@Injectable()
export class EdgeResultsService {
  constructor(
    private readonly database: Database,
    @Inject(PLATFORM_CONFIG) private readonly config: DetectorConfig,
  ) {}

  /**
   * Stores a batch whole or not at all. A detector the tenant does not have — missing or another
   * tenant's, answered alike — or a model that is not the detector's fails the batch with 422
   * naming each result, so the agent can set those aside and re-send the rest.
   */
  async store(tenantId: string, body: unknown): Promise<EdgeUploadReceipt> {
    const upload = parseEdgeUpload(body, this.config.MAX_DETECTION_BATCH_SIZE);
    const unique = new Map<string, EdgeResult>();
    for (const result of upload.results) {
      if (!unique.has(result.id)) unique.set(result.id, result);
    }
    await this.checkReferences(tenantId, upload.results);
    const batch = [...unique.values()];
    const inserted = await this.database.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO edge_results (tenant_id, id, agent_id, detector_id, model_id, model_version,
                                 scored_at, threshold, scores, labels, anomalies)
       SELECT $1, r.id, $2, r.detector_id, r.model_id, r.model_version, r.scored_at, r.threshold,
              ARRAY(SELECT e.v::double precision
                      FROM jsonb_array_elements_text(r.scores) WITH ORDINALITY AS e(v, n) ORDER BY n),
              ARRAY(SELECT e.v::smallint
                      FROM jsonb_array_elements_text(r.labels) WITH ORDINALITY AS e(v, n) ORDER BY n),
              (SELECT count(*) FROM jsonb_array_elements_text(r.labels) AS e(v) WHERE e.v = '1')
         FROM jsonb_to_recordset($3::jsonb) AS r(id uuid, detector_id uuid, model_id uuid,
              model_version integer, scored_at timestamptz, threshold double precision,
              scores jsonb, labels jsonb)
       ON CONFLICT (tenant_id, id) DO NOTHING
       RETURNING id`,
      [
        tenantId,
        upload.agentId,
        JSON.stringify(
          batch.map((r) => ({
            id: r.id,
            detector_id: r.detectorId,
            model_id: r.modelId,
            model_version: r.modelVersion,
            scored_at: r.scoredAt.toISOString(),
            threshold: r.threshold,
            scores: r.scores,
            labels: r.labels,
          })),
        ),
      ],
    );
    const stored = new Set(inserted.map((row) => row.id));
    const accepted: string[] = [];
    const duplicates: string[] = [];
    const seen = new Set<string>();
    for (const { id } of upload.results) {
      if (stored.has(id) && !seen.has(id)) accepted.push(id);
      else duplicates.push(id);
      seen.add(id);
    }
    return { accepted, duplicates };
  }

  private async checkReferences(tenantId: string, results: readonly EdgeResult[]): Promise<void> {
    const detectorIds = [...new Set(results.map((r) => r.detectorId))];
    const found = await this.database.dataSource.query<
      Array<{ id: string; model_id: string | null }>
    >(`SELECT id, model_id FROM detectors WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
      tenantId,
      detectorIds,
    ]);
    const modelOf = new Map(found.map((row) => [row.id, row.model_id]));
    const problems: FieldProblem[] = [];
    results.forEach((result, i) => {
      if (problems.length >= MAX_REFERENCE_PROBLEMS) return;
      const model = modelOf.get(result.detectorId);
      if (model === undefined) {
        problems.push({
          field: `results[${i}].detectorId`,
          message: `no detector with id ${result.detectorId}`,
        });
      } else if (model !== result.modelId) {
        problems.push({
          field: `results[${i}].modelId`,
          message: `model ${result.modelId} is not the model of detector ${result.detectorId}`,
        });
      }
    });
    if (problems.length > 0) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `Nothing stored: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        { status: 422, errors: problems },
      );
    }
  }

  /** Uploaded results in the order central received them. */
  async list(
    tenantId: string,
    filter: { agentId?: string; detectorId?: string },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<EdgeResultDto>> {
    const where = ['tenant_id = $1'];
    const values: unknown[] = [tenantId];
    if (filter.agentId !== undefined) {
      values.push(filter.agentId);
      where.push(`agent_id = $${values.length}`);
    }
    if (filter.detectorId !== undefined) {
      values.push(filter.detectorId);
      where.push(`detector_id = $${values.length}`);
    }
    return fetchRawPage(
      (sql, parameters) => this.database.dataSource.query<EdgeResultRow[]>(sql, parameters),
      {
        select: `SELECT id, agent_id, detector_id, model_id, model_version, scored_at, received_at,
                        threshold, scores, labels, anomalies
                   FROM edge_results`,
        where,
        values,
        orderColumn: 'received_at',
        position: (row) => ({ createdAt: row.received_at, id: row.id }),
      },
      { limit, cursor },
      (row) => ({
        id: row.id,
        agentId: row.agent_id,
        detectorId: row.detector_id,
        modelId: row.model_id,
        modelVersion: row.model_version,
        scoredAt: row.scored_at.toISOString(),
        receivedAt: row.received_at.toISOString(),
        threshold: row.threshold,
        scores: row.scores,
        labels: row.labels,
        anomalies: row.anomalies,
      }),
    );
  }
}
