/**
 * The shared test support (`@nomaly/testing`) bound to this app: the model-service runs as a real
 * process on a database of its own, verifying tokens against a real auth-service's JWKS.
 */
import * as testing from '@nomaly/testing';
import { expect } from 'vitest';

export { eventually, sql, type RunningService } from '@nomaly/testing';

export interface Caller {
  readonly token: string;
  readonly tenantId: string;
}

export interface Stack {
  readonly auth: testing.AuthFixture;
  readonly database: testing.TestDatabase;
  readonly service: testing.RunningService;
  /** Tenant A's admin, analyst and viewer, and tenant B's admin. */
  readonly admin: Caller;
  readonly analyst: Caller;
  readonly viewer: Caller;
  readonly stranger: Caller;
  stop(): Promise<void>;
}

/** An auth-service, a fresh database and the built model-service, with four callers. */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const auth = await testing.startAuthService();
  const database = await testing.createTestDatabase();
  let service: testing.RunningService;
  try {
    service = await testing.startService('model-service', {
      DATABASE_URL: database.url,
      REDIS_URL: testing.TEST_REDIS_URL,
      AUTH_JWKS_URL: auth.jwksUrl,
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
      ...env,
    });
  } catch (error) {
    await database.drop();
    await auth.stop();
    throw error;
  }
  const tenant = `tenant-a-${Date.now().toString(36)}`;
  const [admin, analyst, viewer, stranger] = await Promise.all([
    auth.tokenFor(tenant, ['admin']),
    auth.tokenFor(tenant, ['analyst']),
    auth.tokenFor(tenant, ['viewer']),
    auth.tokenFor(`tenant-b-${Date.now().toString(36)}`, ['admin']),
  ]);
  return {
    auth,
    database,
    service,
    admin,
    analyst,
    viewer,
    stranger,
    async stop() {
      await service.stop();
      await database.drop();
      await auth.stop();
    },
  };
}

export const runCli = (
  env: Record<string, string>,
  args: readonly string[],
): ReturnType<typeof testing.runCli> => testing.runCli('model-service', env, args);

/** A REST call to the service under test. */
export async function call(
  stack: Stack,
  path: string,
  init: { method?: string; caller?: Caller; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.caller !== undefined) headers.set('Authorization', `Bearer ${init.caller.token}`);
  if (init.json !== undefined) headers.set('Content-Type', 'application/json');
  return fetch(`${stack.service.baseUrl}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers,
    body: init.json === undefined ? null : JSON.stringify(init.json),
  });
}

/** Asserts a problem+json answer with the status and code, and returns its detail. */
export async function expectProblem(
  response: Response,
  status: number,
  code: string,
): Promise<string> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await response.json()) as { code: string; status: number; detail: string };
  expect({ status: response.status, code: problem.code }).toEqual({ status, code });
  expect(problem.detail).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // no stack trace
  return problem.detail;
}

/** Rows of a table of the `model` schema. */
export async function count(stack: Stack, table: string): Promise<number> {
  const rows = await testing.sql<{ n: string }>(
    stack.database.url,
    `SELECT count(*) AS n FROM model.${table}`,
  );
  return Number(rows[0]?.n);
}
