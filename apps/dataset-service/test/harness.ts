/**
 * One dataset-service under test: the built service as a real process on a database of its own,
 * verifying tokens against a real auth-service, with Redis on the machine.
 */
export { sharedDir } from '@nomaly/testing';
import {
  createTestDatabase,
  sql,
  startAuthService,
  startService,
  TEST_REDIS_URL,
  type AuthFixture,
  type RunningService,
  type TestDatabase,
} from '@nomaly/testing';
import { expect } from 'vitest';

export interface DatasetFixture {
  readonly auth: AuthFixture;
  readonly database: TestDatabase;
  readonly service: RunningService;
  stop(): Promise<void>;
}

export async function startDatasetService(
  env: Record<string, string> = {},
): Promise<DatasetFixture> {
  const auth = await startAuthService();
  const database = await createTestDatabase();
  try {
    const service = await startService('dataset-service', {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      AUTH_JWKS_URL: auth.jwksUrl,
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
      ...env,
    });
    return {
      auth,
      database,
      service,
      async stop() {
        const code = await service.stop();
        await database.drop();
        await auth.stop();
        expect(code).toBe(0);
      },
    };
  } catch (error) {
    await database.drop();
    await auth.stop();
    throw error;
  }
}

/** A JSON-speaking client of one service as one caller. */
export function client(baseUrl: string, token: string) {
  return async (
    path: string,
    init: RequestInit & { contentType?: string } = {},
  ): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    if (init.contentType !== undefined) headers.set('Content-Type', init.contentType);
    return fetch(`${baseUrl}${path}`, { ...init, headers });
  };
}

/** Rows in the dataset schema: what must stay 0 after every rejected upload. */
export async function storedCounts(
  databaseUrl: string,
): Promise<{ datasets: number; chunks: number }> {
  const [row] = await sql<{ datasets: string; chunks: string }>(
    databaseUrl,
    `SELECT (SELECT count(*) FROM dataset.datasets) AS datasets,
            (SELECT count(*) FROM dataset.dataset_chunks) AS chunks`,
  );
  return { datasets: Number(row?.datasets), chunks: Number(row?.chunks) };
}

/** Checks an RFC 9457 answer and returns it. */
export async function expectProblem(
  response: Response,
  status: number,
  code: string,
): Promise<{ detail: string; code: string } & Record<string, unknown>> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as { detail: string; code: string } & Record<string, unknown>;
  expect(problem.code).toBe(code);
  expect(text).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // no stack trace
  return problem;
}
