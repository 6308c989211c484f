import { Injectable } from '@nestjs/common';
import { ServiceError, type Page, type Role } from '@nomaly/platform-core';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import { checkPasswordPolicy, hashPassword } from '../crypto/index.js';
import { UserEntity } from '../persistence/index.js';
import type { CreateUserDto, UpdateUserDto, UserDto } from './user.dto.js';

export function toUserDto(user: UserEntity): UserDto {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    roles: user.roles,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
  };
}

/** Postgres unique-violation SQLSTATE. */
const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UserService {
  constructor(private readonly database: Database) {}

  private get repository() {
    return this.database.dataSource.getRepository(UserEntity);
  }

  async create(tenantId: string, input: CreateUserDto): Promise<UserDto> {
    const problem = checkPasswordPolicy(input.password);
    if (problem !== undefined) {
      throw new ServiceError('VALIDATION_FAILED', `password: ${problem}`, {
        errors: [{ field: 'password', message: problem }],
      });
    }
    const email = input.email.trim().toLowerCase();
    try {
      const user = await this.repository.save(
        this.repository.create({
          tenantId,
          email,
          passwordHash: await hashPassword(input.password),
          roles: dedupe(input.roles),
          disabled: false,
        }),
      );
      return toUserDto(user);
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new ServiceError('CONFLICT', `A user with e-mail ${email} already exists.`);
      }
      throw error;
    }
  }

  list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<UserDto>> {
    return fetchPage(
      this.repository.createQueryBuilder('u').where('u.tenant_id = :tenantId', { tenantId }),
      { limit, cursor },
      toUserDto,
    );
  }

  /** Changes roles or the disabled flag of a user of the caller's tenant. */
  async update(tenantId: string, id: string, input: UpdateUserDto): Promise<UserDto> {
    const user = await this.repository.findOneBy({ id, tenantId });
    if (user === null) throw new ServiceError('NOT_FOUND', `No user with id ${id}.`);
    if (input.roles !== undefined) user.roles = dedupe(input.roles);
    if (input.disabled !== undefined) user.disabled = input.disabled;
    return toUserDto(await this.repository.save(user));
  }
}

function dedupe(roles: readonly Role[]): Role[] {
  return [...new Set(roles)];
}
