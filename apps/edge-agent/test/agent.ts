/** An edge agent as a real process (`dist/main.js`), and the calls the tests make to it. */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningService } from '@nomaly/testing';

export interface AgentOptions {
  readonly centralUrl: string;
  readonly apiKey: string;
  readonly agentId: string;
  /** Reuse a data directory (models cache and buffer) of an earlier run. */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
}

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface DetectAnswer {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { id: string; modelId: string; version: number };
  resultId: string;
}

export class Agent {
  private constructor(
    readonly service: RunningService,
    readonly dataDir: string,
    readonly options: AgentOptions,
  ) {}

  /** Starts the agent and waits until it serves a model (`/ready`). */
  static async start(options: AgentOptions): Promise<Agent> {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'nomaly-edge-agent-')));
    const service = await startService(
      'edge-agent',
      {
        EDGE_MODE: 'true',
        CENTRAL_API_URL: options.centralUrl,
        EDGE_API_KEY: options.apiKey,
        EDGE_AGENT_ID: options.agentId,
        EDGE_DATA_DIR: dataDir,
        SYNC_INTERVAL: '1',
        CENTRAL_TIMEOUT_MS: '5000',
        ...options.env,
      },
      { portVariables: ['PORT'] },
    );
    return new Agent(service, dataDir, options);
  }

  /** The same agent again, on its data directory (after a stop or a kill). */
  restart(): Promise<Agent> {
    return Agent.start({ ...this.options, dataDir: this.dataDir });
  }

  async kill(): Promise<void> {
    const child = this.service.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async detect(body: unknown, path = '/detect'): Promise<Answer<DetectAnswer>> {
    const response = await fetch(`${this.service.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as DetectAnswer,
      headers: response.headers,
    };
  }

  async status(): Promise<{
    buffer: { results: number; bytes: number };
    models: Array<{ modelId: string; version: number }>;
  }> {
    const response = await fetch(`${this.service.baseUrl}/status`);
    return (await response.json()) as never;
  }

  /** The value of a Prometheus series (0 when it has no sample yet). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.service.baseUrl}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (match?.[1] !== name) continue;
      const found = match[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => found.includes(`${k}="${v}"`))) {
        return Number(match[3]);
      }
    }
    return 0;
  }

  logged(pattern: RegExp): boolean {
    return this.service.logs.some((line) => pattern.test(String(line.msg ?? '')));
  }
}
