/**
 * The network between an agent and central, under the test's control: an HTTP relay that passes
 * requests to the real central gateway, and on demand cuts the connection, flips a byte of an
 * artifact in transit, or loses central's answer to an upload after central has acted on it.
 */
import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LinkFaults {
  /** Every connection is cut before reaching central. */
  down: boolean;
  /** Artifact downloads whose path matches get one byte flipped. */
  tamperArtifacts: RegExp | undefined;
  /** This many upload answers are dropped after central has stored the batch. */
  dropUploadAnswers: number;
}

export interface UploadSeen {
  readonly ids: string[];
  readonly answered: boolean;
}

export class Link {
  readonly faults: LinkFaults = { down: false, tamperArtifacts: undefined, dropUploadAnswers: 0 };
  /** Every upload central received through the link, in order. */
  readonly uploads: UploadSeen[] = [];
  tampered = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: () => string,
  ) {}

  static async start(target: () => string): Promise<Link> {
    const holder: { link?: Link } = {};
    const server = createServer((req, res) => {
      void holder.link?.relay(req, res);
    });
    const link = new Link(server, target);
    holder.link = link;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return link;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.faults.down) {
      req.socket.destroy();
      return;
    }
    const body = Buffer.concat(chunks);
    const upstream = new URL(req.url ?? '/', this.target());
    const answer = await new Promise<{
      status: number;
      headers: IncomingMessage['headers'];
      body: Buffer;
    }>((resolve, reject) => {
      const forward = httpRequest(
        upstream,
        { method: req.method, headers: { ...req.headers, host: upstream.host } },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(parts),
            }),
          );
          response.on('error', reject);
        },
      );
      forward.on('error', reject);
      forward.end(body);
    }).catch(() => undefined);
    if (answer === undefined) {
      req.socket.destroy();
      return;
    }
    const path = upstream.pathname;
    if (req.method === 'POST' && path === '/api/v1/results/edge') {
      const ids = (
        JSON.parse(body.toString('utf8')) as { results: Array<{ id: string }> }
      ).results.map((r) => r.id);
      const drop = answer.status === 200 && this.faults.dropUploadAnswers > 0;
      this.uploads.push({ ids, answered: !drop });
      if (drop) {
        // Central stored the batch; the agent never learns it.
        this.faults.dropUploadAnswers -= 1;
        req.socket.destroy();
        return;
      }
    }
    let payload = answer.body;
    if (
      this.faults.tamperArtifacts?.test(path) === true &&
      path.endsWith('/artifact') &&
      answer.status === 200
    ) {
      payload = Buffer.from(payload);
      const at = Math.floor(payload.length / 2);
      payload[at] = (payload[at] as number) ^ 0x01;
      this.tampered += 1;
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(payload.length);
    res.writeHead(answer.status, headers);
    res.end(payload);
  }
}
