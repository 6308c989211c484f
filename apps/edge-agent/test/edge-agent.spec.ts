/**
 * The edge agent against the real central stack (auth, dataset, model and detector services
 * behind the gateway): it syncs the champion and scores exactly as central does; an artifact
 * whose SHA-256 does not match is never used; a lost upload acknowledgement stores nothing
 * twice; a full buffer answers 503 and loses nothing; and — the durability run — with central
 * down throughout, the agent killed with SIGKILL twice while buffering (once in the middle of a
 * burst of writes), every answered detect arrives in the central database exactly once when
 * central comes back, and the buffer is empty afterwards.
 */
import { rm } from 'node:fs/promises';
import { eventually, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type DetectAnswer } from './agent.js';
import { Central, FEATURES, sampleRows, type Trained } from './central.js';
import { Link } from './link.js';

let central: Central;
let tenant: Trained;
const agents: Agent[] = [];
const links: Link[] = [];

async function startAgent(
  agentId: string,
  centralUrl: string,
  env: Record<string, string> = {},
): Promise<Agent> {
  const agent = await Agent.start({ centralUrl, apiKey: tenant.analystKey, agentId, env });
  agents.push(agent);
  return agent;
}

async function link(): Promise<Link> {
  const created = await Link.start(() => central.url);
  links.push(created);
  return created;
}

/** Ids of the results central holds for an agent, from its database. */
async function storedIds(agentId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    central.database.url,
    'SELECT id FROM detector.edge_results WHERE agent_id = $1',
    [agentId],
  );
  return rows.map((row) => row.id);
}

async function drained(agent: Agent, withinMs = 60_000): Promise<void> {
  await eventually(async () => {
    const status = await agent.status();
    if (status.buffer.results !== 0) throw new Error(`${status.buffer.results} still buffered`);
  }, withinMs);
}

beforeAll(async () => {
  central = await Central.start();
  tenant = await central.trainedTenant('edge-co');
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.kill()));
  const dirs = new Set(agents.map((agent) => agent.dataDir));
  await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
  await Promise.all(links.map((l) => l.stop()));
  await central?.stop();
});

describe('the edge agent', () => {
  it('syncs the champion, scores exactly as the central detect does, and uploads every result', async () => {
    const agent = await startAgent('store-1', central.url);
    const rows = sampleRows(25, 9);

    const local = await agent.detect({ rows });
    expect(local.status).toBe(200);
    const centrally = await central.call<DetectAnswer>(
      `/api/v1/detectors/${tenant.detectorId}/detect`,
      tenant.adminToken,
      { json: { rows } },
    );
    expect(centrally.status).toBe(200);
    expect(local.body.scores).toEqual(centrally.body.scores);
    expect(local.body.labels).toEqual(centrally.body.labels);
    expect(local.body.threshold).toBe(centrally.body.threshold);
    expect(local.body.modelVersion).toEqual(centrally.body.modelVersion);

    const records = rows.map((row) => Object.fromEntries(FEATURES.map((f, j) => [f, row[j]])));
    const byDetector = await agent.detect(
      { records },
      `/api/v1/detectors/${tenant.detectorId}/detect`,
    );
    expect(byDetector.body.scores).toEqual(centrally.body.scores);

    const bad = await agent.detect({ rows: [[1, 2]] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });

    await drained(agent);
    const listed = await central.call<{
      items: Array<{ id: string; scores: number[]; labels: number[] }>;
    }>(`/api/v1/results/edge?agentId=store-1`, tenant.adminToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item) => item.id).sort()).toEqual(
      [local.body.resultId, byDetector.body.resultId].sort(),
    );
    const stored = listed.body.items.find((item) => item.id === local.body.resultId);
    expect(stored?.scores).toEqual(local.body.scores);
    expect(stored?.labels).toEqual(local.body.labels);
  }, 120_000);

  it('re-sends a batch whose acknowledgement was lost, and central stores it once', async () => {
    const relay = await link();
    const agent = await startAgent('store-2', relay.url);
    relay.faults.dropUploadAnswers = 1;
    const answers: DetectAnswer[] = [];
    for (let i = 0; i < 5; i++)
      answers.push((await agent.detect({ rows: sampleRows(3, 20 + i) })).body);
    await drained(agent);

    const ids = answers.map((a) => a.resultId).sort();
    expect((await storedIds('store-2')).sort()).toEqual(ids);
    const lost = relay.uploads.find((upload) => !upload.answered);
    expect(lost, 'an upload whose answer was dropped').toBeDefined();
    // Its ids were sent again and central answered them as duplicates: one copy each.
    const resent = relay.uploads.filter(
      (u) => u.answered && u.ids.some((id) => lost?.ids.includes(id)),
    );
    expect(resent.length).toBeGreaterThan(0);
    expect(
      await agent.metric('nomaly_edge_uploaded_results_total', { outcome: 'duplicate' }),
    ).toBeGreaterThanOrEqual(lost?.ids.length ?? 1);
    const again = await central.call<{ accepted: string[]; duplicates: string[] }>(
      '/api/v1/results/edge',
      await central.exchange(tenant.analystKey),
      {
        json: {
          agentId: 'store-2',
          results: answers.map((a) => ({
            id: a.resultId,
            detectorId: tenant.detectorId,
            modelId: a.modelVersion.modelId,
            modelVersion: a.modelVersion.version,
            scoredAt: new Date().toISOString(),
            scores: a.scores,
            labels: a.labels,
            threshold: a.threshold,
          })),
        },
      },
    );
    expect(again.body).toEqual({ accepted: [], duplicates: answers.map((a) => a.resultId) });
    expect((await storedIds('store-2')).length).toBe(5);
  }, 120_000);

  it('answers 503 with Retry-After when its buffer is full, and loses none of what it answered', async () => {
    const relay = await link();
    const agent = await startAgent('store-3', relay.url, { EDGE_BUFFER_MAX_MB: '0.01' });
    relay.faults.down = true;
    const answered: string[] = [];
    let full: { status: number; body: Record<string, unknown>; headers: Headers } | undefined;
    for (let i = 0; i < 200 && full === undefined; i++) {
      const answer = await agent.detect({ rows: sampleRows(20, 100 + i) });
      if (answer.status === 200) answered.push(answer.body.resultId);
      else full = answer as never;
    }
    expect(full?.status).toBe(503);
    expect(full?.headers.get('retry-after')).toBe('1');
    expect(full?.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(full?.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(String(full?.body.detail)).toMatch(/buffer is full.*send it again after Retry-After/);
    expect(answered.length).toBeGreaterThan(0);
    expect(await agent.metric('nomaly_edge_buffer_full_rejections_total')).toBe(1);

    relay.faults.down = false;
    await drained(agent);
    expect((await storedIds('store-3')).sort()).toEqual([...answered].sort());
    expect((await agent.detect({ rows: sampleRows(20, 999) })).status).toBe(200);
  }, 120_000);

  it('never uses an artifact whose SHA-256 does not match: the old model keeps serving', async () => {
    const relay = await link();
    const agent = await startAgent('store-4', relay.url);
    const rows = sampleRows(10, 31);
    const before = await agent.detect({ rows });
    expect(before.body.modelVersion.version).toBe(1);

    relay.faults.tamperArtifacts = /\/versions\/2\/artifact$/;
    await central.train(tenant.adminToken, tenant.detectorId, tenant.datasetId, 2);
    await eventually(async () => {
      if (relay.tampered === 0) throw new Error('no artifact tampered yet');
      const failures = await agent.metric('nomaly_edge_sync_failures_total', {
        reason: 'sha256-mismatch',
      });
      if (failures < 1) throw new Error('no mismatch counted yet');
    }, 30_000);
    expect(agent.logged(/a model version could not be fetched; the old one keeps serving/)).toBe(
      true,
    );
    const during = await agent.detect({ rows });
    expect(during.status).toBe(200);
    expect(during.body.modelVersion.version).toBe(1);
    expect(during.body.scores).toEqual(before.body.scores);

    relay.faults.tamperArtifacts = undefined;
    await eventually(async () => {
      const after = await agent.detect({ rows });
      if (after.body.modelVersion.version !== 2) throw new Error('still on version 1');
    }, 30_000);
  }, 120_000);

  it('with central down for the whole run and two kill -9 while buffering, every answered result arrives exactly once', async () => {
    // The model is synced beforehand; then central goes away and stays away until the end.
    const first = await startAgent('store-5', central.url);
    await first.service.stop();
    await central.stopAll();

    const answered = new Map<string, number[]>();
    let unanswered = 0;
    let seed = 1_000;
    /** One detect; false when the connection was cut (the agent was killed under it). */
    const send = async (agent: Agent): Promise<boolean> => {
      let answer;
      try {
        answer = await agent.detect({ rows: sampleRows(5, seed++) });
      } catch (error) {
        // fetch fails with a TypeError when the socket dies; the result may or may not be on disk.
        if (!(error instanceof TypeError)) throw error;
        unanswered += 1;
        return false;
      }
      if (answer.status !== 200) throw new Error(`detect answered ${answer.status}`);
      answered.set(answer.body.resultId, answer.body.scores);
      return true;
    };

    let agent = await first.restart();
    agents.push(agent);
    expect(await agent.metric('nomaly_edge_models_served')).toBe(1);
    for (let i = 0; i < 30; i++) await send(agent);
    // First kill: between requests, everything answered is on disk.
    await agent.kill();

    agent = await agent.restart();
    agents.push(agent);
    expect((await agent.status()).buffer.results).toBe(answered.size);
    // Second kill: eight clients keep writing, and the 40th answer pulls the trigger, so
    // appends are in flight (some written, some half-written, some not yet) when it lands.
    const victim = agent;
    let burstAnswers = 0;
    const client = async (): Promise<void> => {
      while (await send(victim)) {
        burstAnswers += 1;
        if (burstAnswers === 40) victim.service.process.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    await victim.kill();
    expect(unanswered).toBeGreaterThan(0);

    agent = await agent.restart();
    agents.push(agent);
    for (let i = 0; i < 30; i++) await send(agent);
    expect(agent.logged(/central unreachable/)).toBe(true);
    expect(await storedIds('store-5')).toEqual([]);

    await central.startAll();
    await drained(agent, 120_000);

    const stored = await storedIds('store-5');
    expect(new Set(stored).size).toBe(stored.length);
    const storedSet = new Set(stored);
    const missing = [...answered.keys()].filter((id) => !storedSet.has(id));
    expect(missing).toEqual([]);
    // Extra rows can only be requests cut by the kill after their result reached the disk.
    expect(stored.length - answered.size).toBeGreaterThanOrEqual(0);
    expect(stored.length - answered.size).toBeLessThanOrEqual(unanswered);
    const scores = await sql<{ id: string; scores: number[] }>(
      central.database.url,
      'SELECT id, scores FROM detector.edge_results WHERE agent_id = $1',
      ['store-5'],
    );
    for (const row of scores) {
      const expected = answered.get(row.id);
      if (expected !== undefined) expect(row.scores).toEqual(expected);
    }
    expect((await agent.status()).buffer).toMatchObject({ results: 0 });
    const torn = agents.filter((a) => a.logged(/torn tail/)).length;
    console.info(
      `edge durability: ${answered.size} detects answered, ${unanswered} cut by the kills, ${stored.length} results stored centrally (each once), ${torn} restart(s) dropped a torn tail`,
    );
  }, 240_000);
});
