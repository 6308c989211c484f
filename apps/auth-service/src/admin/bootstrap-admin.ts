import { randomBytes } from 'node:crypto';
import { ServiceError } from '@nomaly/platform-core';
import type { Database } from '@nomaly/platform-persistence';
import { checkPasswordPolicy, generateApiKey, hashPassword } from '../crypto/index.js';
import { ApiKeyEntity, TenantEntity, UserEntity } from '../persistence/index.js';

export interface BootstrapResult {
  readonly tenantId: string;
  readonly tenantCreated: boolean;
  readonly userId?: string;
  /** Present when the password was generated: shown once. */
  readonly generatedPassword?: string;
  readonly apiKeyId: string;
  /** The admin API key: shown once, never stored. */
  readonly apiKey: string;
}

/**
 * The first admin of a tenant (the deployment guide's `create_user('admin', …, ['admin'])`):
 * creates the tenant when it is new, an admin user when an e-mail is given and unknown, and a
 * new admin API key. Re-running it for the same tenant is safe: it adds a key, nothing else.
 */
export async function bootstrapAdmin(
  database: Database,
  input: { tenant: string; email?: string; password?: string; keyName?: string },
): Promise<BootstrapResult> {
  const tenantName = input.tenant.trim();
  if (tenantName.length === 0 || tenantName.length > 100) {
    throw new ServiceError('VALIDATION_FAILED', 'tenant must be 1 to 100 characters');
  }
  const generatedPassword =
    input.email !== undefined && input.password === undefined
      ? randomBytes(18).toString('base64url')
      : undefined;
  const password = input.password ?? generatedPassword;
  if (password !== undefined) {
    const problem = checkPasswordPolicy(password);
    if (problem !== undefined) throw new ServiceError('VALIDATION_FAILED', `password: ${problem}`);
  }
  const passwordHash = password === undefined ? undefined : await hashPassword(password);

  return database.dataSource.transaction(async (manager) => {
    // Two bootstraps racing for a new tenant: the second waits, then finds the first's tenant.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('nomaly-auth-bootstrap'))`);
    const tenants = manager.getRepository(TenantEntity);
    const existing = await tenants.findOneBy({ name: tenantName });
    const tenant = existing ?? (await tenants.save(tenants.create({ name: tenantName })));

    let userId: string | undefined;
    let createdPassword: string | undefined;
    if (input.email !== undefined && passwordHash !== undefined) {
      const email = input.email.trim().toLowerCase();
      const users = manager.getRepository(UserEntity);
      const user = await users.findOneBy({ email });
      if (user !== null && user.tenantId !== tenant.id) {
        throw new ServiceError('CONFLICT', `${email} already belongs to another tenant`);
      }
      if (user === null) {
        userId = (
          await users.save(
            users.create({
              tenantId: tenant.id,
              email,
              passwordHash,
              roles: ['admin'],
              disabled: false,
            }),
          )
        ).id;
        createdPassword = generatedPassword;
      } else {
        userId = user.id;
      }
    }

    const generated = generateApiKey();
    const keys = manager.getRepository(ApiKeyEntity);
    const key = await keys.save(
      keys.create({
        tenantId: tenant.id,
        name: input.keyName ?? 'bootstrap admin key',
        prefix: generated.prefix,
        keyHash: generated.hash,
        roles: ['admin'],
        createdBy: userId ?? null,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
      }),
    );
    return {
      tenantId: tenant.id,
      tenantCreated: existing === null,
      ...(userId === undefined ? {} : { userId }),
      ...(createdPassword === undefined ? {} : { generatedPassword: createdPassword }),
      apiKeyId: key.id,
      apiKey: generated.key,
    };
  });
}
