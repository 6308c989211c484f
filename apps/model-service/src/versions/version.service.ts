import { Inject, Injectable } from '@nestjs/common';
import type { ModelDocument } from '@nomaly/detection-core';
import { ServiceError, type Logger, type Page } from '@nomaly/platform-core';
import { PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import type { EntityManager } from 'typeorm';
import { ArtifactCache, type VerifiedBytes } from '../artifacts/artifact-cache.js';
import {
  ArtifactIntegrityError,
  loadArtifact,
  verifyStoredArtifact,
} from '../artifacts/artifact.js';
import { ModelService, notFound } from '../models/model.service.js';
import {
  ModelVersionEntity,
  type AliasName,
  type Lineage,
  type TrainingStatistics,
  type VersionMetrics,
} from '../persistence/index.js';
import { rows } from '../persistence/sql.js';
import type { Stage, VersionDto } from './version.dto.js';

/** Which model a publication goes to: an existing one, or one named (created on first use). */
export type PublishTarget = { readonly modelId: string } | { readonly modelName: string };

export interface PublishInput {
  readonly target: PublishTarget;
  /** The model document's bytes, stored exactly as given. */
  readonly artifact: Buffer;
  readonly trainingDurationMs: number | null;
  readonly metrics: VersionMetrics | null;
  readonly lineage: Lineage;
  /** Names the publication: a version of the model already published under it is the answer. */
  readonly publishKey: string | null;
  /** Asked just before COMMIT; true rolls the publication back (a gRPC caller that went away). */
  readonly abandoned?: () => boolean;
}

export const EMPTY_LINEAGE: Lineage = {
  datasetId: null,
  datasetChecksum: null,
  detectorId: null,
  codeVersion: null,
};

export function stageOf(aliases: readonly AliasName[], archivedAt: Date | null): Stage {
  if (aliases.includes('champion')) return 'production';
  if (aliases.includes('challenger')) return 'staging';
  return archivedAt === null ? 'none' : 'archived';
}

export function toVersionDto(
  version: ModelVersionEntity,
  aliases: Partial<Record<AliasName, number>>,
): VersionDto {
  const pointing = (['champion', 'challenger'] as const).filter(
    (alias) => aliases[alias] === version.version,
  );
  return {
    id: version.id,
    modelId: version.modelId,
    version: version.version,
    algorithm: version.algorithm,
    format: version.format,
    formatVersion: version.formatVersion,
    sha256: version.sha256,
    sizeBytes: version.sizeBytes,
    parameters: version.parameters,
    training: version.training,
    metrics: version.metrics,
    lineage: version.lineage,
    aliases: pointing,
    stage: stageOf(pointing, version.archivedAt),
    createdAt: version.createdAt.toISOString(),
    archivedAt: version.archivedAt?.toISOString() ?? null,
  };
}

interface LockedModel {
  id: string;
  algorithm: string;
  latest_version: number;
}

/**
 * Versions and their artifacts. Publishing is one transaction: the model row is locked, its
 * version counter incremented and the version inserted with its artifact, so a failure at any
 * point (or a crash) leaves nothing, and concurrent publishers queue on the lock and get
 * consecutive numbers.
 */
@Injectable()
export class VersionService {
  constructor(
    private readonly database: Database,
    private readonly models: ModelService,
    private readonly cache: ArtifactCache,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
  ) {}

  private get repository() {
    return this.database.dataSource.getRepository(ModelVersionEntity);
  }

  /**
   * Loads the artifact with detection-core, then stores it as the next version.
   *
   * With a `publishKey` already used on the model, nothing is published: the version published
   * under it is the answer when its artifact is the same bytes.
   *
   * @throws ServiceError `VALIDATION_FAILED` (422) for a document that does not load or holds
   *   another algorithm than the model's; `NOT_FOUND` for an unknown model id;
   *   `IDEMPOTENCY_KEY_REUSED` for a publish key already used with another artifact.
   */
  async publish(tenantId: string, input: PublishInput): Promise<VersionDto> {
    const loaded = loadArtifact(input.artifact);
    const document: ModelDocument = loaded.document;
    const training: TrainingStatistics = {
      scoreSummary: document.training.scores,
      threshold: document.threshold,
      rows: document.training.rows,
      durationMs: input.trainingDurationMs,
      anomalyRate: document.training.anomalyRate,
    };
    const saved = await this.database.dataSource.transaction(async (manager) => {
      const model = await this.lockModel(manager, tenantId, input, document.algorithm);
      if (model.algorithm !== document.algorithm) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `The document holds a '${document.algorithm}' model; model ${model.id} holds '${model.algorithm}' models.`,
          {
            status: 422,
            errors: [{ field: 'document.algorithm', message: 'does not match the model' }],
          },
        );
      }
      if (input.publishKey !== null) {
        const earlier = await this.publishedUnder(manager, model.id, input.publishKey);
        if (earlier !== undefined) {
          if (earlier.sha256 !== loaded.sha256) {
            throw new ServiceError(
              'IDEMPOTENCY_KEY_REUSED',
              `Publish key '${input.publishKey}' already published version ${earlier.version} of model ${model.id} with another artifact (SHA-256 ${earlier.sha256}).`,
            );
          }
          return { id: earlier.id, replayed: true };
        }
      }
      const version = model.latest_version + 1;
      await manager.query(`UPDATE models SET latest_version = $1 WHERE id = $2`, [
        version,
        model.id,
      ]);
      const [inserted] = await rows<{ id: string }>(
        manager,
        `INSERT INTO model_versions
           (tenant_id, model_id, version, algorithm, format, format_version, artifact, sha256,
            size_bytes, parameters, training, metrics, lineage, publish_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb,
                 $14)
         RETURNING id`,
        [
          tenantId,
          model.id,
          version,
          document.algorithm,
          document.format,
          document.formatVersion,
          loaded.bytes,
          loaded.sha256,
          loaded.bytes.length,
          JSON.stringify(document.params),
          JSON.stringify(training),
          input.metrics === null ? null : JSON.stringify(input.metrics),
          JSON.stringify(input.lineage),
          input.publishKey,
        ],
      );
      if (inserted === undefined) throw new Error('INSERT … RETURNING returned no row');
      if (input.abandoned?.() === true) {
        throw new ServiceError('VALIDATION_FAILED', 'The caller went away; nothing was published.');
      }
      return { id: inserted.id, replayed: false };
    });
    const version = await this.repository.findOneByOrFail({ id: saved.id, tenantId });
    this.logger.info(
      { modelId: version.modelId, version: version.version, sha256: version.sha256 },
      saved.replayed ? 'model version already published under its key' : 'model version published',
    );
    return toVersionDto(version, {});
  }

  /** The version published on the model under `publishKey` (the model row is locked). */
  private async publishedUnder(
    manager: EntityManager,
    modelId: string,
    publishKey: string,
  ): Promise<{ id: string; version: number; sha256: string } | undefined> {
    const [earlier] = await rows<{ id: string; version: number; sha256: string }>(
      manager,
      `SELECT id, version, sha256 FROM model_versions WHERE model_id = $1 AND publish_key = $2`,
      [modelId, publishKey],
    );
    return earlier;
  }

  /** The model row, locked for the rest of the transaction (created first when named). */
  private async lockModel(
    manager: EntityManager,
    tenantId: string,
    input: PublishInput,
    algorithm: string,
  ): Promise<LockedModel> {
    const { target } = input;
    if ('modelId' in target) {
      const [model] = await rows<LockedModel>(
        manager,
        `SELECT id, algorithm, latest_version FROM models WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
        [target.modelId, tenantId],
      );
      if (model === undefined) throw notFound(target.modelId);
      return model;
    }
    // ON CONFLICT DO NOTHING waits for a concurrent creator of the same name, then finds its row.
    await manager.query(
      `INSERT INTO models (tenant_id, name, detector_id, algorithm) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, name) DO NOTHING`,
      [tenantId, target.modelName, input.lineage.detectorId, algorithm],
    );
    const [model] = await rows<LockedModel>(
      manager,
      `SELECT id, algorithm, latest_version FROM models WHERE tenant_id = $1 AND name = $2 FOR UPDATE`,
      [tenantId, target.modelName],
    );
    if (model === undefined) throw new Error(`model ${target.modelName} vanished while publishing`);
    return model;
  }

  async list(
    tenantId: string,
    modelId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<VersionDto>> {
    await this.models.require(tenantId, modelId);
    const aliases = (await this.models.aliasesOf(tenantId, [modelId])).get(modelId) ?? {};
    return fetchPage(
      this.repository
        .createQueryBuilder('v')
        .where('v.tenant_id = :tenantId AND v.model_id = :modelId', { tenantId, modelId }),
      { limit, cursor },
      (version) => toVersionDto(version, aliases),
    );
  }

  async get(tenantId: string, modelId: string, version: number): Promise<VersionDto> {
    const found = await this.require(tenantId, modelId, version);
    const aliases = (await this.models.aliasesOf(tenantId, [modelId])).get(modelId) ?? {};
    return toVersionDto(found, aliases);
  }

  /** @throws ServiceError `NOT_FOUND` for a missing model or version, and another tenant's. */
  async require(tenantId: string, modelId: string, version: number): Promise<ModelVersionEntity> {
    const found = await this.repository.findOneBy({ tenantId, modelId, version });
    if (found === null) {
      await this.models.require(tenantId, modelId);
      throw new ServiceError('NOT_FOUND', `No version ${version} of model ${modelId}.`);
    }
    return found;
  }

  /**
   * The artifact of a version, verified: from the in-process cache (only ever filled with
   * verified bytes, which never change), or read and verified against the recorded SHA-256 and
   * the document's own seal.
   *
   * @throws ArtifactIntegrityError when the stored bytes fail verification: never served.
   */
  async artifact(
    tenantId: string,
    modelId: string,
    version: number,
  ): Promise<{ version: ModelVersionEntity; artifact: VerifiedBytes }> {
    const found = await this.require(tenantId, modelId, version);
    const cached = this.cache.get(found.id, found.sha256);
    if (cached !== undefined) return { version: found, artifact: cached };
    const [row] = await this.database.dataSource.query<Array<{ artifact: Buffer }>>(
      `SELECT artifact FROM model_versions WHERE id = $1 AND tenant_id = $2`,
      [found.id, tenantId],
    );
    if (row === undefined)
      throw new ServiceError('NOT_FOUND', `No version ${version} of model ${modelId}.`);
    try {
      const verified = verifyStoredArtifact(row.artifact, {
        modelId,
        version,
        sha256: found.sha256,
      });
      const artifact = { bytes: verified.bytes, sha256: verified.sha256 };
      this.cache.set(found.id, artifact);
      return { version: found, artifact };
    } catch (error) {
      if (error instanceof ArtifactIntegrityError) {
        this.logger.error({ modelId, version, err: error }, 'stored artifact failed verification');
      }
      throw error;
    }
  }
}
