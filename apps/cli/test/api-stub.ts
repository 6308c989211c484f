import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

/** One request the stub received, body included. */
export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed, when it was JSON. */
  json: unknown;
}

export interface StubReply {
  status: number;
  json?: unknown;
  /** A body sent as is, with `contentType` (default text/plain). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A reply, or 'hang' to never answer (a server that accepted the call and went silent). */
export type StubRoute = (request: StubRequest) => StubReply | 'hang';

export const VALID_KEY = 'nmly_stub_valid_key';

/** An RFC 9457 problem, as the services answer errors. */
export function problem(status: number, code: string, title: string, detail: string): StubReply {
  return {
    status,
    json: { type: 'about:blank', title, status, detail, code },
    contentType: 'application/problem+json',
  };
}

/**
 * A stand-in for the gateway in unit tests: `/api/v1/auth/token` exchanges `VALID_KEY` for
 * numbered tokens (`token-1`, `token-2`, …); other calls need a live token (else 401) and are
 * answered by `route`. Tokens in `expired` answer 401, as an expired JWT does.
 */
export class StubApi {
  readonly requests: StubRequest[] = [];
  readonly expired = new Set<string>();
  route: StubRoute = () => problem(404, 'NOT_FOUND', 'Not Found', 'No such route.');
  private issued = 0;

  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  private address = '';

  static async start(): Promise<StubApi> {
    const stub = new StubApi();
    stub.server.listen(0, '127.0.0.1');
    await once(stub.server, 'listening');
    const address = stub.server.address();
    if (address === null || typeof address === 'string') throw new Error('stub: no port');
    stub.address = `http://127.0.0.1:${address.port}`;
    return stub;
  }

  /** `http://127.0.0.1:PORT`, as NOMALY_URL or `nomaly login` takes it. */
  get url(): string {
    return this.address;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://stub');
      let json: unknown;
      if (/json/.test(req.headers['content-type'] ?? '') && body.length > 0) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      const reply = this.answer({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
      });
      if (reply === 'hang') return;
      const text = reply.json === undefined ? (reply.text ?? '') : JSON.stringify(reply.json);
      res.writeHead(reply.status, {
        'content-type':
          reply.contentType ?? (reply.json === undefined ? 'text/plain' : 'application/json'),
        ...reply.headers,
      });
      res.end(text);
    });
  }

  /** Makes the next token issued answer 401 on use, as a token that expires mid-run. */
  expireNextToken(): string {
    const token = `token-${this.issued + 1}`;
    this.expired.add(token);
    return token;
  }

  /** The requests other than token exchanges. */
  get calls(): StubRequest[] {
    return this.requests.filter((r) => r.path !== '/api/v1/auth/token');
  }

  get exchanges(): number {
    return this.requests.length - this.calls.length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private answer(request: StubRequest): StubReply | 'hang' {
    this.requests.push(request);
    if (request.path === '/api/v1/auth/token') {
      const apiKey = (request.json as { apiKey?: unknown } | undefined)?.apiKey;
      if (apiKey !== VALID_KEY) {
        return problem(401, 'UNAUTHENTICATED', 'Unauthorized', 'The API key is not valid.');
      }
      this.issued++;
      return {
        status: 200,
        json: { accessToken: `token-${this.issued}`, tokenType: 'Bearer', expiresIn: 900 },
      };
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || this.expired.has(token) || !token.startsWith('token-')) {
      return problem(401, 'UNAUTHENTICATED', 'Unauthorized', 'The access token has expired.');
    }
    return this.route(request);
  }
}
