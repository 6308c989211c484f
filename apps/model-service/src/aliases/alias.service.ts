import { Inject, Injectable } from '@nestjs/common';
import { cacheKey, ServiceError, type Cache, type Logger } from '@nomaly/platform-core';
import { PLATFORM_CACHE, PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import type { EntityManager } from 'typeorm';
import type { ModelConfig } from '../config.js';
import type { ModelDto } from '../models/model.dto.js';
import { ModelService, notFound } from '../models/model.service.js';
import { ALIASES, type AliasName } from '../persistence/index.js';
import { rows } from '../persistence/sql.js';
import { aliasOf, type PromotionTarget, type ResolvedAliasDto } from './alias.dto.js';

type HistoryAction = 'promote' | 'rollback' | 'unassign';

/**
 * The champion and challenger of each model. Every move is recorded in `model_alias_history`,
 * under the model's row lock so moves of one model never interleave. Resolutions are cached in
 * Redis for a short TTL and deleted after each move; the TTL bounds how long a resolution read
 * just before a concurrent move can outlive it.
 */
@Injectable()
export class AliasService {
  private readonly ttlSeconds: number;
  private readonly service: string;

  constructor(
    private readonly database: Database,
    private readonly models: ModelService,
    @Inject(PLATFORM_CACHE) private readonly cache: Cache,
    @Inject(PLATFORM_CONFIG) config: ModelConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
  ) {
    this.ttlSeconds = config.MODEL_ALIAS_CACHE_TTL_SECONDS;
    this.service = config.SERVICE_NAME;
  }

  private key(tenantId: string, modelId: string, alias: AliasName): string {
    return cacheKey(this.service, 'alias', `${tenantId}:${modelId}:${alias}`);
  }

  /**
   * Points an alias at a version, or archives a version. Promoting the challenger to champion
   * takes its challenger alias away; the champion cannot be archived or made challenger (promote
   * another version first), so a model that has a champion keeps one.
   */
  async promote(
    tenantId: string,
    modelId: string,
    version: number,
    target: PromotionTarget,
    actor: string,
  ): Promise<ModelDto> {
    const alias = aliasOf(target);
    await this.database.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, tenantId, modelId);
      const [found] = await rows<{ version: number }>(
        manager,
        `SELECT version FROM model_versions WHERE model_id = $1 AND tenant_id = $2 AND version = $3`,
        [modelId, tenantId, version],
      );
      if (found === undefined) {
        throw new ServiceError('NOT_FOUND', `No version ${version} of model ${modelId}.`);
      }
      const current = await this.current(manager, modelId);
      if (alias === 'archived' || alias === 'challenger') {
        if (current.champion === version) {
          throw new ServiceError(
            'CONFLICT',
            `Version ${version} is the champion of model ${modelId}; promote another version to champion first.`,
          );
        }
      }
      if (alias === 'archived') {
        if (current.challenger === version) {
          await this.unassign(manager, tenantId, modelId, 'challenger', version, actor);
        }
        await manager.query(
          `UPDATE model_versions SET archived_at = now() WHERE model_id = $1 AND version = $2 AND archived_at IS NULL`,
          [modelId, version],
        );
        return;
      }
      if (alias === 'champion' && current.challenger === version) {
        await this.unassign(manager, tenantId, modelId, 'challenger', version, actor);
      }
      if (current[alias] !== version) {
        await this.assign(
          manager,
          tenantId,
          modelId,
          alias,
          version,
          current[alias] ?? null,
          'promote',
          actor,
        );
      }
    });
    await this.invalidate(tenantId, modelId);
    this.logger.info({ modelId, version, target, actor }, 'model alias moved');
    return this.models.get(tenantId, modelId);
  }

  /**
   * Points the champion back at the one before it. Champion moves form a stack: a promotion
   * pushes, a rollback pops, so successive rollbacks walk further back (promote 1, 2, 3; roll back
   * → 2; roll back → 1) rather than toggling between the last two.
   *
   * @throws ServiceError `CONFLICT` when there is no earlier champion to return to.
   */
  async rollback(tenantId: string, modelId: string, actor: string): Promise<ModelDto> {
    await this.database.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, tenantId, modelId);
      const history = await rows<{ action: HistoryAction; version: number | null }>(
        manager,
        `SELECT action, version FROM model_alias_history
          WHERE model_id = $1 AND alias = 'champion' ORDER BY id`,
        [modelId],
      );
      const stack: number[] = [];
      for (const entry of history) {
        if (entry.action === 'promote' && entry.version !== null) stack.push(entry.version);
        else if (entry.action === 'rollback') stack.pop();
      }
      const current = await this.current(manager, modelId);
      const previous = stack.at(-2);
      if (current.champion === undefined || previous === undefined) {
        throw new ServiceError(
          'CONFLICT',
          `Model ${modelId} has no earlier champion to roll back to.`,
        );
      }
      if (current.challenger === previous) {
        await this.unassign(manager, tenantId, modelId, 'challenger', previous, actor);
      }
      await this.assign(
        manager,
        tenantId,
        modelId,
        'champion',
        previous,
        current.champion,
        'rollback',
        actor,
      );
    });
    await this.invalidate(tenantId, modelId);
    this.logger.info({ modelId, actor }, 'model champion rolled back');
    return this.models.get(tenantId, modelId);
  }

  /**
   * The version an alias points at, from Redis when a recent answer is there.
   *
   * @throws ServiceError `NOT_FOUND` for a missing model (or another tenant's) and for an alias
   *   that points nowhere.
   */
  async resolve(tenantId: string, modelId: string, alias: AliasName): Promise<ResolvedAliasDto> {
    const key = this.key(tenantId, modelId, alias);
    const cached = await this.cache.get(key);
    if (cached !== undefined) return JSON.parse(cached) as ResolvedAliasDto;
    const [row] = await this.database.dataSource.query<
      Array<{
        version: number;
        sha256: string;
        size_bytes: number;
        algorithm: string;
        created_at: Date;
        updated_at: Date;
      }>
    >(
      `SELECT a.version, v.sha256, v.size_bytes, v.algorithm, v.created_at, a.updated_at
         FROM model_aliases a
         JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
        WHERE a.tenant_id = $1 AND a.model_id = $2 AND a.alias = $3`,
      [tenantId, modelId, alias],
    );
    if (row === undefined) {
      await this.models.require(tenantId, modelId);
      throw new ServiceError('NOT_FOUND', `Model ${modelId} has no ${alias}.`);
    }
    const resolved: ResolvedAliasDto = {
      modelId,
      alias,
      version: row.version,
      sha256: row.sha256,
      sizeBytes: row.size_bytes,
      algorithm: row.algorithm,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
    await this.cache.set(key, JSON.stringify(resolved), this.ttlSeconds);
    return resolved;
  }

  private async invalidate(tenantId: string, modelId: string): Promise<void> {
    await Promise.all(
      ALIASES.map((alias) => this.cache.delete(this.key(tenantId, modelId, alias))),
    );
  }

  private async lockModel(
    manager: EntityManager,
    tenantId: string,
    modelId: string,
  ): Promise<void> {
    const [model] = await rows<{ id: string }>(
      manager,
      `SELECT id FROM models WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
      [modelId, tenantId],
    );
    if (model === undefined) throw notFound(modelId);
  }

  private async current(
    manager: EntityManager,
    modelId: string,
  ): Promise<Partial<Record<AliasName, number>>> {
    const found = await rows<{ alias: AliasName; version: number }>(
      manager,
      `SELECT alias, version FROM model_aliases WHERE model_id = $1`,
      [modelId],
    );
    return Object.fromEntries(found.map((row) => [row.alias, row.version]));
  }

  private async assign(
    manager: EntityManager,
    tenantId: string,
    modelId: string,
    alias: AliasName,
    version: number,
    previous: number | null,
    action: HistoryAction,
    actor: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO model_aliases (model_id, alias, tenant_id, version, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
      [modelId, alias, tenantId, version],
    );
    // A version an alias points at is live, even if it was archived: a rollback in an incident
    // must be able to bring back an archived champion.
    await manager.query(
      `UPDATE model_versions SET archived_at = NULL WHERE model_id = $1 AND version = $2`,
      [modelId, version],
    );
    await this.record(manager, tenantId, modelId, alias, action, version, previous, actor);
  }

  private async unassign(
    manager: EntityManager,
    tenantId: string,
    modelId: string,
    alias: AliasName,
    previous: number,
    actor: string,
  ): Promise<void> {
    await manager.query(`DELETE FROM model_aliases WHERE model_id = $1 AND alias = $2`, [
      modelId,
      alias,
    ]);
    await this.record(manager, tenantId, modelId, alias, 'unassign', null, previous, actor);
  }

  private async record(
    manager: EntityManager,
    tenantId: string,
    modelId: string,
    alias: AliasName,
    action: HistoryAction,
    version: number | null,
    previous: number | null,
    actor: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO model_alias_history (tenant_id, model_id, alias, action, version, previous_version, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, modelId, alias, action, version, previous, actor],
    );
  }
}
