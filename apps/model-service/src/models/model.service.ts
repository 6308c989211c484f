import { Injectable } from '@nestjs/common';
import { ServiceError, type Page } from '@nomaly/platform-core';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import { ModelEntity, type AliasName } from '../persistence/index.js';
import { isUniqueViolation } from '../persistence/sql.js';
import type { CreateModelDto, EdgeListDto, ModelDto } from './model.dto.js';

type Aliases = Partial<Record<AliasName, number>>;

export function toModelDto(model: ModelEntity, aliases: Aliases): ModelDto {
  return {
    id: model.id,
    name: model.name,
    algorithm: model.algorithm,
    detectorId: model.detectorId,
    latestVersion: model.latestVersion,
    champion: aliases.champion ?? null,
    challenger: aliases.challenger ?? null,
    createdAt: model.createdAt.toISOString(),
  };
}

/** Models of a tenant: every query carries the tenant, so another tenant's id is "not found". */
@Injectable()
export class ModelService {
  constructor(private readonly database: Database) {}

  private get repository() {
    return this.database.dataSource.getRepository(ModelEntity);
  }

  async create(tenantId: string, input: CreateModelDto): Promise<ModelDto> {
    try {
      const model = await this.repository.save(
        this.repository.create({
          tenantId,
          name: input.name,
          algorithm: input.algorithm,
          detectorId: input.detectorId?.toLowerCase() ?? null,
          latestVersion: 0,
        }),
      );
      return toModelDto(model, {});
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ServiceError('CONFLICT', `A model named ${input.name} already exists.`);
      }
      throw error;
    }
  }

  async list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<ModelDto>> {
    const page = await fetchPage(
      this.repository.createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId }),
      { limit, cursor },
      (model) => model,
    );
    const aliases = await this.aliasesOf(
      tenantId,
      page.items.map((model) => model.id),
    );
    return {
      ...page,
      items: page.items.map((model) => toModelDto(model, aliases.get(model.id) ?? {})),
    };
  }

  async get(tenantId: string, id: string): Promise<ModelDto> {
    const model = await this.require(tenantId, id);
    return toModelDto(model, (await this.aliasesOf(tenantId, [id])).get(id) ?? {});
  }

  /** @throws ServiceError `NOT_FOUND` for a missing model and for another tenant's. */
  async require(tenantId: string, id: string): Promise<ModelEntity> {
    const model = await this.repository.findOneBy({ id, tenantId });
    if (model === null) throw notFound(id);
    return model;
  }

  /** Where the aliases of the given models point. */
  async aliasesOf(tenantId: string, modelIds: readonly string[]): Promise<Map<string, Aliases>> {
    const result = new Map<string, Aliases>();
    if (modelIds.length === 0) return result;
    const found = await this.database.dataSource.query<
      Array<{ model_id: string; alias: AliasName; version: number }>
    >(
      `SELECT model_id, alias, version FROM model_aliases WHERE tenant_id = $1 AND model_id = ANY($2::uuid[])`,
      [tenantId, modelIds],
    );
    for (const row of found) {
      result.set(row.model_id, { ...result.get(row.model_id), [row.alias]: row.version });
    }
    return result;
  }

  /** Each model's champion: what the tenant's edge nodes should run. */
  async edge(tenantId: string): Promise<EdgeListDto> {
    const found = await this.database.dataSource.query<
      Array<{
        model_id: string;
        name: string;
        algorithm: string;
        version: number;
        sha256: string;
        updated_at: Date;
      }>
    >(
      `SELECT m.id AS model_id, m.name, v.algorithm, a.version, v.sha256, a.updated_at
         FROM model_aliases a
         JOIN models m ON m.id = a.model_id AND m.tenant_id = a.tenant_id
         JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
        WHERE a.tenant_id = $1 AND a.alias = 'champion'
        ORDER BY m.name`,
      [tenantId],
    );
    return {
      items: found.map((row) => ({
        modelId: row.model_id,
        name: row.name,
        version: row.version,
        sha256: row.sha256,
        algorithm: row.algorithm,
        updatedAt: row.updated_at.toISOString(),
      })),
    };
  }
}

export function notFound(id: string): ServiceError {
  return new ServiceError('NOT_FOUND', `No model with id ${id}.`);
}
