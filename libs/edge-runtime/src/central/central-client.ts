import type { EdgeResult, EdgeUploadReceipt } from './edge-results.js';

/** What an edge node should run for one model (`GET /api/v1/models/edge`). */
export interface EdgeModel {
  readonly modelId: string;
  readonly name: string;
  /** The champion version. */
  readonly version: number;
  readonly sha256: string;
  readonly algorithm: string;
  readonly updatedAt: string;
}

/** A registered model (`GET /api/v1/models/{id}`), as far as edge nodes need it. */
export interface RegisteredModel {
  readonly id: string;
  readonly name: string;
  readonly algorithm: string;
  readonly detectorId: string | null;
}

/** A problem+json answer of the central API, as far as clients act on it. */
export interface CentralProblem {
  readonly code?: string;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly message: string }>;
}

/**
 * Central could not be reached or could not answer now (connection refused, timeout, 5xx, 429):
 * try again later; nothing about the request was wrong.
 */
export class CentralUnavailableError extends Error {
  override readonly name = 'CentralUnavailableError';

  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Central answered and refused the request (4xx): sending it again unchanged will not help. */
export class CentralRejectedError extends Error {
  override readonly name = 'CentralRejectedError';

  constructor(
    message: string,
    readonly status: number,
    readonly problem: CentralProblem | undefined,
  ) {
    super(message);
  }
}

export interface CentralClientOptions {
  /** `CENTRAL_API_URL`: the public API (the ingress, or the local gateway). */
  readonly baseUrl: string;
  /** An API key of the tenant, exchanged for access tokens. */
  readonly apiKey: string;
  /** Bound on each HTTP exchange, body included. */
  readonly timeoutMs: number;
  /** Clock in ms (tests of token refresh pass their own). */
  readonly now?: () => number;
}

/** A token is renewed this long before it expires (at most a fifth of its lifetime). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The central API as edge agents and serverless functions use it: an API key exchanged for an
 * access token at `/api/v1/auth/token` (renewed before it expires, and once more if central
 * answers 401), what edge nodes should run, artifacts, and result uploads. Every call is
 * bounded by `timeoutMs`; failures are either {@link CentralUnavailableError} (retry later) or
 * {@link CentralRejectedError} (the request itself is refused).
 */
export class CentralClient {
  private readonly baseUrl: string;
  private readonly now: () => number;
  private token: { value: string; renewAt: number } | undefined;
  private exchanging: Promise<string> | undefined;

  constructor(private readonly options: CentralClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  /** What the tenant's edge nodes should run: each model's champion version and its SHA-256. */
  async edgeModels(): Promise<EdgeModel[]> {
    const response = await this.authorized('GET', '/api/v1/models/edge');
    return ((await readJson(response, 'GET /api/v1/models/edge')) as { items: EdgeModel[] }).items;
  }

  async model(modelId: string): Promise<RegisteredModel> {
    const path = `/api/v1/models/${encodeURIComponent(modelId)}`;
    return (await readJson(await this.authorized('GET', path), `GET ${path}`)) as RegisteredModel;
  }

  /** The artifact bytes of a version, unverified: the caller checks them against the SHA-256. */
  async artifact(modelId: string, version: number): Promise<Uint8Array> {
    const path = `/api/v1/models/${encodeURIComponent(modelId)}/versions/${version}/artifact`;
    const response = await this.authorized('GET', path);
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new CentralUnavailableError(`GET ${path}: the body was cut off`, undefined, {
        cause: error,
      });
    }
  }

  /** Uploads a batch of results; central answers every id of the batch it now holds. */
  async uploadResults(agentId: string, results: readonly EdgeResult[]): Promise<EdgeUploadReceipt> {
    const response = await this.authorized('POST', '/api/v1/results/edge', { agentId, results });
    return (await readJson(response, 'POST /api/v1/results/edge')) as EdgeUploadReceipt;
  }

  /** A valid access token: the cached one until shortly before it expires, else a new one. */
  async accessToken(): Promise<string> {
    const cached = this.token;
    if (cached !== undefined && this.now() < cached.renewAt) return cached.value;
    // One exchange at a time: concurrent callers share it.
    this.exchanging ??= this.exchange().finally(() => (this.exchanging = undefined));
    return this.exchanging;
  }

  private async exchange(): Promise<string> {
    const response = await this.send('POST', '/api/v1/auth/token', undefined, {
      apiKey: this.options.apiKey,
    });
    const { accessToken, expiresIn } = (await readJson(response, 'POST /api/v1/auth/token')) as {
      accessToken: string;
      expiresIn: number;
    };
    const lifetimeMs = expiresIn * 1000;
    this.token = {
      value: accessToken,
      renewAt: this.now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 5),
    };
    return accessToken;
  }

  private async authorized(method: string, path: string, json?: unknown): Promise<Response> {
    try {
      return await this.send(method, path, await this.accessToken(), json);
    } catch (error) {
      // A token revoked or signed with a retired key: exchange the API key again, once.
      if (!(error instanceof CentralRejectedError) || error.status !== 401) throw error;
      this.token = undefined;
      return this.send(method, path, await this.accessToken(), json);
    }
  }

  private async send(
    method: string,
    path: string,
    token: string | undefined,
    json: unknown,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: json === undefined ? null : JSON.stringify(json),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new CentralUnavailableError(
        `${method} ${path}: central unreachable (${describe(error)})`,
        undefined,
        { cause: error },
      );
    }
    if (response.ok) return response;
    const problem = await readProblem(response);
    const detail = problem?.detail ?? response.statusText;
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new CentralUnavailableError(
        `${method} ${path}: central answered ${response.status} (${detail})`,
        retryAfter(response.headers.get('retry-after')),
      );
    }
    throw new CentralRejectedError(
      `${method} ${path}: central answered ${response.status}${problem?.code === undefined ? '' : ` ${problem.code}`} (${detail})`,
      response.status,
      problem,
    );
  }
}

async function readJson(response: Response, what: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    throw new CentralUnavailableError(`${what}: the answer is not complete JSON`, undefined, {
      cause: error,
    });
  }
}

async function readProblem(response: Response): Promise<CentralProblem | undefined> {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? body : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error.message;
}
