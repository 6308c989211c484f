import { Injectable } from '@nestjs/common';
import {
  Resilience,
  ServiceError,
  type Page,
  type Principal,
  type Role,
} from '@nomaly/platform-core';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import { generateApiKey, parseApiKey } from '../crypto/index.js';
import { ApiKeyEntity } from '../persistence/index.js';
import type { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto.js';

/** One message for unknown, revoked and expired keys: a caller must not learn which it was. */
export const INVALID_API_KEY = 'The API key is not valid.';

/** An API key that checked out, with what it may do. */
export interface VerifiedApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly roles: Role[];
  readonly expiresAt: Date | null;
}

export function toApiKeyDto(entity: ApiKeyEntity): ApiKeyDto {
  return {
    id: entity.id,
    name: entity.name,
    prefix: entity.prefix,
    roles: entity.roles,
    createdAt: entity.createdAt.toISOString(),
    expiresAt: entity.expiresAt?.toISOString() ?? null,
    revokedAt: entity.revokedAt?.toISOString() ?? null,
    lastUsedAt: entity.lastUsedAt?.toISOString() ?? null,
  };
}

type KeyRow = { id: string; tenant_id: string; roles: Role[]; expires_at: Date | null };

@Injectable()
export class ApiKeyService {
  /**
   * The hot path of every token exchange, behind the `database` preset: a timeout, retries
   * (the statement only stamps `last_used_at`, so repeating it is harmless) and a breaker that
   * answers 503 at once while Postgres is down instead of queueing callers on a dead pool.
   */
  private readonly lookup: (hash: string) => Promise<KeyRow | undefined>;

  constructor(
    private readonly database: Database,
    resilience: Resilience,
  ) {
    this.lookup = resilience.wrap(
      'api-key-lookup',
      'database',
      async (hash: string) => {
        const result = await this.database.dataSource.query<[KeyRow[], number]>(
          `UPDATE api_keys SET last_used_at = now()
            WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            RETURNING id, tenant_id, roles, expires_at`,
          [hash],
        );
        return result[0][0];
      },
      { idempotent: true },
    );
  }

  private get repository() {
    return this.database.dataSource.getRepository(ApiKeyEntity);
  }

  /**
   * Checks a presented key: one indexed lookup by its SHA-256 that also filters revoked and
   * expired keys, so the three failure cases cost the same and answer the same.
   */
  async verify(key: string): Promise<VerifiedApiKey> {
    const parsed = parseApiKey(key);
    if (parsed === undefined) throw new ServiceError('UNAUTHENTICATED', INVALID_API_KEY);
    const row = await this.lookup(parsed.hash);
    if (row === undefined) throw new ServiceError('UNAUTHENTICATED', INVALID_API_KEY);
    return { id: row.id, tenantId: row.tenant_id, roles: row.roles, expiresAt: row.expires_at };
  }

  async create(
    tenantId: string,
    input: CreateApiKeyDto,
    createdBy: string | null,
  ): Promise<CreatedApiKeyDto> {
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw new ServiceError('VALIDATION_FAILED', 'expiresAt must be in the future', {
        errors: [{ field: 'expiresAt', message: 'must be in the future' }],
      });
    }
    const generated = generateApiKey();
    const entity = await this.repository.save(
      this.repository.create({
        tenantId,
        name: input.name,
        prefix: generated.prefix,
        keyHash: generated.hash,
        roles: input.roles ?? ['analyst'],
        createdBy,
        expiresAt,
        revokedAt: null,
        lastUsedAt: null,
      }),
    );
    return { ...toApiKeyDto(entity), key: generated.key };
  }

  list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<ApiKeyDto>> {
    return fetchPage(
      this.repository.createQueryBuilder('k').where('k.tenant_id = :tenantId', { tenantId }),
      { limit, cursor },
      toApiKeyDto,
    );
  }

  /** Revokes a key of the caller's tenant; a key of another tenant is "not found", as missing. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'coalesce(revoked_at, now())' })
      .where('id = :id AND tenant_id = :tenantId', { id, tenantId: principal.tenantId })
      .execute();
    if (result.affected === 0) throw new ServiceError('NOT_FOUND', `No API key with id ${id}.`);
  }
}
