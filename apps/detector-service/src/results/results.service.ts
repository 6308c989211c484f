import { Injectable, Inject, type OnModuleInit } from '@nestjs/common';
import { BIGINT_ID, ServiceError, type Logger, type Page } from '@nomaly/platform-core';
import { PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database, fetchRawPage } from '@nomaly/platform-persistence';

export interface DetectionResultDto {
  id: string;
  detectorId: string;
  modelId: string;
  modelVersion: number;
  rowIndex: number;
  score: number;
  isAnomaly: boolean;
  createdAt: string;
}

interface ResultRow {
  /** bigint: node-postgres returns it as a string, exactly. */
  id: string;
  detector_id: string;
  model_id: string;
  model_version: number;
  row_index: number;
  score: number;
  is_anomaly: boolean;
  created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stored detection results, newest partitions made ahead of time. */
@Injectable()
export class ResultsService implements OnModuleInit {
  constructor(
    private readonly database: Database,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
  ) {}

  /** This month's and next month's partitions exist before a row needs them. */
  async onModuleInit(): Promise<void> {
    const now = new Date();
    for (const offset of [0, 1]) {
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
      const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
      const name = `detection_results_y${from.getUTCFullYear()}m${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
      try {
        await this.database.dataSource.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF detection_results
             FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
        );
      } catch (error) {
        // Rows of that month already sit in the default partition (a partition made late):
        // they stay queryable there; an operator can move them.
        this.logger.warn({ err: error, partition: name }, 'could not create a results partition');
      }
    }
  }

  async list(
    tenantId: string,
    filter: { detectorId?: string; since?: Date },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<DetectionResultDto>> {
    const where = ['tenant_id = $1'];
    const values: unknown[] = [tenantId];
    if (filter.detectorId !== undefined) {
      values.push(filter.detectorId);
      where.push(`detector_id = $${values.length}`);
    }
    if (filter.since !== undefined) {
      values.push(filter.since);
      where.push(`created_at >= $${values.length}`);
    }
    return fetchRawPage(
      (sql, parameters) => this.database.dataSource.query<ResultRow[]>(sql, parameters),
      {
        select: `SELECT id, detector_id, model_id, model_version, row_index, score, is_anomaly,
                        created_at
                   FROM detection_results`,
        where,
        values,
        idPattern: BIGINT_ID,
        position: (row) => ({ createdAt: row.created_at, id: row.id }),
      },
      { limit, cursor },
      (row) => ({
        id: row.id,
        detectorId: row.detector_id,
        modelId: row.model_id,
        modelVersion: row.model_version,
        rowIndex: row.row_index,
        score: row.score,
        isAnomaly: row.is_anomaly,
        createdAt: row.created_at.toISOString(),
      }),
    );
  }
}

export function parseDetectorFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!UUID.test(value))
    throw new ServiceError(
      'VALIDATION_FAILED',
      `detectorId must be a UUID, got "${value.slice(0, 64)}".`,
    );
  return value;
}

export function parseInstant(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `${name} must be an ISO 8601 instant, got "${value.slice(0, 64)}".`,
    );
  }
  return date;
}
