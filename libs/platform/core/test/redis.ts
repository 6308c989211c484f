/** Redis helpers for this library's tests: a throwaway server of their own, never the shared one. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';
/** Nothing listens on port 1: connections are refused at once. */
export const DEAD_REDIS = 'redis://127.0.0.1:1';

export async function ready(client: Redis): Promise<Redis> {
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A redis-server of the test's own (fresh data and script cache), to kill mid-test. */
export async function spawnRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => {
      const probe = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        expect(await probe.ping()).toBe('PONG');
      } finally {
        probe.disconnect();
      }
    },
    { timeout: 10_000, interval: 50 },
  );
  return { url, process: child };
}
