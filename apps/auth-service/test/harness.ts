/**
 * The shared test support (`@nomaly/testing`) bound to this app: the auth-service runs as a real
 * process, as in production, against a database of its own.
 */
import * as testing from '@nomaly/testing';

export {
  ADMIN_DATABASE_URL,
  createTestDatabase,
  eventually,
  freePort,
  OwnRedis,
  sql,
  TEST_REDIS_URL,
  type LogLine,
  type RunningService,
} from '@nomaly/testing';

export const APP_ROOT = testing.appRoot('auth-service');

export const startService = (env: Record<string, string>): Promise<testing.RunningService> =>
  testing.startService('auth-service', env);

export const runCli = (
  env: Record<string, string>,
  args: readonly string[],
): ReturnType<typeof testing.runCli> => testing.runCli('auth-service', env, args);
