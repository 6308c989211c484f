import { Injectable } from '@nestjs/common';
import { createDetector } from '@nomaly/detection-core';
import { asValidationError } from '@nomaly/detector-runtime';
import { ServiceError, type Page } from '@nomaly/platform-core';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import { DetectorEntity } from '../persistence/index.js';
import type { CreateDetectorDto, DetectorDto } from './detector.dto.js';

export function toDetectorDto(entity: DetectorEntity): DetectorDto {
  return {
    id: entity.id,
    name: entity.name,
    algorithm: entity.algorithm,
    parameters: entity.parameters,
    features: entity.features,
    modelId: entity.modelId,
    latestVersion: entity.latestVersion,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}

@Injectable()
export class DetectorService {
  constructor(private readonly database: Database) {}

  private get repository() {
    return this.database.dataSource.getRepository(DetectorEntity);
  }

  async create(tenantId: string, input: CreateDetectorDto): Promise<DetectorDto> {
    const parameters: Record<string, unknown> = { ...(input.parameters ?? {}) };
    if (input.contamination !== undefined) parameters.contamination = input.contamination;
    try {
      // The algorithm validates its own parameters: unknown names, types, ranges.
      createDetector(input.algorithm, parameters);
    } catch (error) {
      throw asValidationError(error);
    }
    const entity = await this.repository.save(
      this.repository.create({
        tenantId,
        name: input.name,
        algorithm: input.algorithm,
        parameters,
        features: input.features ?? null,
        modelId: null,
        latestVersion: null,
      }),
    );
    return toDetectorDto(entity);
  }

  /** The detector of the caller's tenant; another tenant's is "not found", like a missing one. */
  async get(tenantId: string, id: string): Promise<DetectorEntity> {
    const found = await this.repository.findOneBy({ id, tenantId });
    if (found === null) throw new ServiceError('NOT_FOUND', `No detector with id ${id}.`);
    return found;
  }

  list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<DetectorDto>> {
    return fetchPage(
      this.repository.createQueryBuilder('d').where('d.tenant_id = :tenantId', { tenantId }),
      { limit, cursor },
      toDetectorDto,
    );
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const result = await this.repository.delete({ id, tenantId });
    if (result.affected === 0) throw new ServiceError('NOT_FOUND', `No detector with id ${id}.`);
  }

  async recordTraining(id: string, modelId: string, version: number): Promise<void> {
    await this.repository.update({ id }, { modelId, latestVersion: version });
  }
}
