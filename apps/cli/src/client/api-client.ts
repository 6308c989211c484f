import { CliError, ExitCode } from '../cli-error.js';

/**
 * A client of the public REST API through the gateway: exchanges the API key for an access
 * token once per run (kept in memory only), sends it on every call, and exchanges again once
 * when a call answers 401 (the token expired). Every failure becomes a `CliError` whose exit
 * code says what kind it is: API error (3), network (4), auth (5).
 */

/** An RFC 9457 problem document, as every service answers errors. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

/** A request body sent as a stream, made again when the request has to be repeated. */
export interface StreamBody {
  open: () => ReadableStream<Uint8Array>;
  contentType: string;
  length: number;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  stream?: StreamBody;
  /** Overrides the client's timeout for this call (uploads, detection batches). */
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ClientOptions {
  url: string;
  apiKey: string;
  timeoutMs: number;
  /** Names the key's source in the refused-key message: `NOMALY_API_KEY` or the config file. */
  apiKeyFrom?: string;
}

interface TokenAnswer {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
}

export class ApiClient {
  private token: string | undefined;

  constructor(private readonly options: ClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  /** Exchanges the API key for an access token (and keeps it for the calls that follow). */
  async exchangeKey(): Promise<TokenAnswer> {
    const response = await this.send('POST', '/api/v1/auth/token', {
      json: { apiKey: this.options.apiKey },
    });
    if (response.status === 401 || response.status === 403) {
      throw this.refused(response.status, response.problem);
    }
    const answer = this.expectOk<TokenAnswer>('POST', '/api/v1/auth/token', response);
    if (typeof answer.body.accessToken !== 'string') {
      throw new CliError(
        `POST /api/v1/auth/token answered without an accessToken; is ${this.url} a Nomaly API?`,
        ExitCode.Api,
      );
    }
    this.token = answer.body.accessToken;
    return answer.body;
  }

  /** A call with the access token; a 2xx answer's JSON body, any other status an error. */
  async call<T>(path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const method = options.method ?? ((options.json ?? options.stream) ? 'POST' : 'GET');
    const target = withQuery(path, options.query);
    if (this.token === undefined) await this.exchangeKey();
    let response = await this.send(method, target, options);
    if (response.status === 401) {
      // The token expired during the run: one new exchange, one more try.
      await this.exchangeKey();
      response = await this.send(method, target, options);
    }
    if (response.status === 401 || response.status === 403) {
      throw this.refused(response.status, response.problem);
    }
    return this.expectOk<T>(method, target, response);
  }

  private async send(
    method: string,
    path: string,
    options: CallOptions,
  ): Promise<{ status: number; text: string; headers: Headers; problem: Problem | undefined }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token !== undefined && path !== '/api/v1/auth/token') {
      headers.Authorization = `Bearer ${this.token}`;
    }
    let body: RequestInit['body'] = null;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.stream !== undefined) {
      headers['Content-Type'] = options.stream.contentType;
      headers['Content-Length'] = String(options.stream.length);
      body = options.stream.open();
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const url = `${this.url}${path}`;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
        // Required by fetch for a streamed request body.
        ...(options.stream === undefined ? {} : { duplex: 'half' }),
      });
      const text = await response.text();
      return {
        status: response.status,
        text,
        headers: response.headers,
        problem: response.ok ? undefined : parseProblem(text, response.headers),
      };
    } catch (e) {
      throw networkError(this.url, `${method} ${path}`, e, timeoutMs);
    }
  }

  private expectOk<T>(
    method: string,
    path: string,
    response: { status: number; text: string; headers: Headers; problem: Problem | undefined },
  ): ApiResponse<T> {
    if (response.status < 200 || response.status > 299) {
      throw new CliError(
        `${method} ${path}: ${describeStatus(response.status, response.problem, response.text, response.headers)}`,
        ExitCode.Api,
      );
    }
    if (response.text === '')
      return { status: response.status, body: undefined as T, headers: response.headers };
    try {
      return {
        status: response.status,
        body: JSON.parse(response.text) as T,
        headers: response.headers,
      };
    } catch {
      throw new CliError(
        `${method} ${path}: answered ${response.status} with a body that is not JSON (${oneLine(response.text)}); is ${this.url} a Nomaly API?`,
        ExitCode.Api,
      );
    }
  }

  private refused(status: number, problem: Problem | undefined): CliError {
    const why =
      problem === undefined
        ? `${status}`
        : `${status} ${problem.code ?? problem.title ?? ''}: ${problem.detail ?? ''}`.trim();
    const source = this.options.apiKeyFrom ?? 'the stored key';
    if (status === 403) {
      return new CliError(
        `the API key may not do this (${why}); use a key with the role it needs`,
        ExitCode.Auth,
      );
    }
    return new CliError(
      source === 'NOMALY_API_KEY'
        ? `the API key in NOMALY_API_KEY was refused by ${this.url} (${why}); fix or unset NOMALY_API_KEY`
        : `the API key was refused by ${this.url} (${why}); run nomaly login`,
      ExitCode.Auth,
    );
  }
}

function withQuery(path: string, query: CallOptions['query']): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function parseProblem(text: string, headers: Headers): Problem | undefined {
  if (!/json/.test(headers.get('content-type') ?? '')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `404 Not Found: No dataset with id …. [NOT_FOUND]`, or the start of a non-problem body. */
function describeStatus(
  status: number,
  problem: Problem | undefined,
  text: string,
  headers: Headers,
): string {
  const retry = headers.get('retry-after');
  const later = retry === null ? '' : ` (retry after ${retry} s)`;
  if (problem === undefined) {
    return `the API answered ${status}${text === '' ? '' : `: ${oneLine(text)}`}${later}`;
  }
  const title = problem.title ?? '';
  const detail =
    problem.detail === undefined || problem.detail === title ? '' : `: ${problem.detail}`;
  const code = problem.code === undefined ? '' : ` [${problem.code}]`;
  return `the API answered ${status} ${title}${detail}${code}${later}`.replace(/ {2,}/g, ' ');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/**
 * A failed fetch as one line naming the server and the cause: `ECONNREFUSED`, `ENOTFOUND`, a
 * TLS error, or the timeout.
 */
export function networkError(
  baseUrl: string,
  call: string,
  e: unknown,
  timeoutMs: number,
): CliError {
  const error = e as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new CliError(
      `${baseUrl} did not answer ${call} within ${timeoutMs / 1000} s (timeout); set NOMALY_TIMEOUT (seconds) to wait longer`,
      ExitCode.Network,
    );
  }
  const cause = error.cause;
  const code = cause?.code;
  const message = cause?.message ?? error.message;
  const tls =
    code !== undefined &&
    (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED/.test(code));
  const kind = tls ? 'TLS error talking to' : 'cannot reach';
  const what = code === undefined || message.includes(code) ? message : `${code}: ${message}`;
  return new CliError(`${kind} ${baseUrl} (${call}): ${oneLine(what)}`, ExitCode.Network);
}
