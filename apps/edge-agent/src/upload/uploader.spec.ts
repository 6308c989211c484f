import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CentralClient, type EdgeResult } from '@nomaly/edge-runtime';
import { createLogger } from '@nomaly/platform-core';
import { eventually } from '@nomaly/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetters } from '../buffer/dead-letters.js';
import { ResultBuffer } from '../buffer/result-buffer.js';
import { EdgeMetrics } from '../metrics.js';
import { Uploader } from './uploader.js';

type Answer = (ids: string[]) => { status: number; body: unknown };

const logger = createLogger({ service: 'uploader-test', level: 'silent' });
let dir: string;
let server: Server;
let answer: Answer;
let received: string[][];
let uploader: Uploader | undefined;
let buffer: ResultBuffer | undefined;

/** Waits, bounded, until the condition holds. */
function until(condition: () => boolean, message: string): Promise<void> {
  return eventually(
    () => (condition() ? Promise.resolve() : Promise.reject(new Error(message))),
    10_000,
  );
}

function result(): EdgeResult {
  return {
    id: randomUUID(),
    detectorId: '2f7a1c4e-58b1-4c9a-a7f6-0d3b8e1f2a45',
    modelId: '9c3e2d1b-6a5f-4e8d-b7c9-1a2b3c4d5e6f',
    modelVersion: 1,
    scoredAt: new Date().toISOString(),
    scores: [0.2, 0.9],
    labels: [0, 1],
    threshold: 0.5,
  };
}

async function start(results: EdgeResult[]) {
  const opened = await ResultBuffer.open({
    dir: join(dir, 'buffer'),
    maxBytes: 1024 * 1024,
    segmentBytes: 64 * 1024,
    logger,
  });
  buffer = opened;
  for (const r of results) await opened.append(r);
  const metrics = new EdgeMetrics('edge-agent', { buffer: () => opened.stats(), models: () => 1 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  uploader = new Uploader(
    opened,
    new DeadLetters(join(dir, 'dead-letter.ndjson')),
    new CentralClient({ baseUrl: url, apiKey: 'nmly_key_1234', timeoutMs: 5_000 }),
    metrics,
    logger,
    { agentId: 'store-9', maxResults: 10, maxRows: 1_000, maxBackoffMs: 200 },
  );
  uploader.start();
  return { buffer: opened, metrics };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nomaly-uploader-'));
  received = [];
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      response.setHeader('Content-Type', 'application/json');
      if (request.url === '/api/v1/auth/token') {
        response.end(JSON.stringify({ accessToken: 't', expiresIn: 900 }));
        return;
      }
      const ids = (JSON.parse(body) as { results: EdgeResult[] }).results.map((r) => r.id);
      received.push(ids);
      const { status, body: reply } = answer(ids);
      response.statusCode = status;
      response.end(JSON.stringify(reply));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterEach(async () => {
  await uploader?.stop();
  await buffer?.close();
  uploader = undefined;
  buffer = undefined;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe(Uploader.name, () => {
  it('sets aside exactly the results central refuses by name, and delivers the rest', async () => {
    const results = [result(), result(), result()];
    const refused = results[1] as EdgeResult;
    answer = (ids) =>
      ids.includes(refused.id)
        ? {
            status: 422,
            body: {
              code: 'VALIDATION_FAILED',
              detail: 'Nothing stored',
              errors: [
                {
                  field: `results[${ids.indexOf(refused.id)}].detectorId`,
                  message: 'no detector with id x',
                },
              ],
            },
          }
        : { status: 200, body: { accepted: ids, duplicates: [] } };
    const { buffer, metrics } = await start(results);
    await until(() => buffer.stats().results === 0, 'still buffered');
    const dead = (await readFile(join(dir, 'dead-letter.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { reason: string; result: EdgeResult });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.result).toEqual(refused);
    expect(dead[0]?.reason).toBe('results[1].detectorId: no detector with id x');
    expect(received.at(-1)?.sort()).toEqual(
      [results[0]?.id as string, results[2]?.id as string].sort(),
    );
    expect(
      await metrics.platform.registry.getSingleMetricAsString(
        'nomaly_edge_dead_letter_results_total',
      ),
    ).toMatch(/ 1$/m);
  });

  it('keeps everything when central refuses the agent itself (403), and never dead-letters it', async () => {
    answer = () => ({ status: 403, body: { code: 'FORBIDDEN', detail: 'needs analyst' } });
    const { buffer } = await start([result(), result()]);
    await until(() => received.length >= 2, 'not retried yet');
    expect(buffer.stats().results).toBe(2);
    await expect(readFile(join(dir, 'dead-letter.ndjson'))).rejects.toThrow(/ENOENT/);
  });

  it('deletes only the ids central confirms holding', async () => {
    const results = [result(), result()];
    let first = true;
    answer = (ids) => {
      const confirmed = first ? ids.slice(0, 1) : ids;
      first = false;
      return { status: 200, body: { accepted: confirmed, duplicates: [] } };
    };
    const { buffer } = await start(results);
    await until(() => buffer.stats().results === 0, 'still buffered');
    expect(received[0]).toEqual(results.map((r) => r.id));
    expect(received[1]).toEqual([results[1]?.id]);
  });
});
