import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './database.js';
import { runCli, startService, type RunningService } from './process.js';

export type TestRole = 'admin' | 'analyst' | 'viewer';

export interface AuthFixture {
  readonly service: RunningService;
  readonly database: TestDatabase;
  /** What other services set as `AUTH_JWKS_URL`. */
  readonly jwksUrl: string;
  /** An access token for a tenant (created on first use) with the given roles. */
  tokenFor(
    tenant: string,
    roles?: readonly TestRole[],
  ): Promise<{ token: string; tenantId: string }>;
  stop(): Promise<void>;
}

/**
 * A real auth-service (built, as a process) on a database of its own: services under test
 * verify tokens against its JWKS exactly as they do in production.
 */
export async function startAuthService(): Promise<AuthFixture> {
  const database = await createTestDatabase();
  let service: RunningService;
  try {
    service = await startService('auth-service', {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const admins = new Map<string, { apiKey: string; tenantId: string }>();

  const exchange = async (apiKey: string): Promise<string> => {
    const response = await fetch(`${service.baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    if (response.status !== 200) throw new Error(`token exchange failed: ${response.status}`);
    return ((await response.json()) as { accessToken: string }).accessToken;
  };

  const adminOf = async (tenant: string): Promise<{ apiKey: string; tenantId: string }> => {
    const known = admins.get(tenant);
    if (known !== undefined) return known;
    const created = await runCli('auth-service', service.env, [
      'create-admin',
      '--tenant',
      tenant,
      '--json',
    ]);
    if (created.code !== 0) throw new Error(`create-admin failed: ${created.stderr}`);
    const admin = JSON.parse(created.stdout) as { apiKey: string; tenantId: string };
    admins.set(tenant, admin);
    return admin;
  };

  return {
    service,
    database,
    jwksUrl: `${service.baseUrl}/.well-known/jwks.json`,
    async tokenFor(tenant, roles = ['admin']) {
      const admin = await adminOf(tenant);
      if (roles.length === 1 && roles[0] === 'admin') {
        return { token: await exchange(admin.apiKey), tenantId: admin.tenantId };
      }
      const response = await fetch(`${service.baseUrl}/api/v1/auth/api-keys`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await exchange(admin.apiKey)}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ name: `test ${roles.join('+')}`, roles }),
      });
      if (response.status !== 201) throw new Error(`api key creation failed: ${response.status}`);
      const { key } = (await response.json()) as { key: string };
      return { token: await exchange(key), tenantId: admin.tenantId };
    },
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}
