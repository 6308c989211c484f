import { ObjectNotFoundError, type ObjectStore } from './object-store.js';
import { encodeRfc3986, EMPTY_SHA256, hexSha256, signV4, type AwsCredentials } from './sigv4.js';

/**
 * S3 over its REST API with Signature Version 4, so the function ships no SDK: GetObject and
 * PutObject on the regional virtual-hosted endpoint, credentials from the Lambda role.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly region: string,
    private readonly credentials: AwsCredentials,
    private readonly timeoutMs = 30_000,
  ) {}

  async get(bucket: string, key: string): Promise<Buffer> {
    const response = await this.send('GET', bucket, key, undefined, {});
    if (response.status === 404) throw new ObjectNotFoundError(bucket, key);
    await failUnlessOk(response, `GetObject s3://${bucket}/${key}`);
    return Buffer.from(await response.arrayBuffer());
  }

  async put(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    contentType: string,
  ): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const response = await this.send('PUT', bucket, key, bytes, { 'content-type': contentType });
    await failUnlessOk(response, `PutObject s3://${bucket}/${key}`);
  }

  private send(
    method: string,
    bucket: string,
    key: string,
    body: Uint8Array | undefined,
    headers: Record<string, string>,
  ): Promise<Response> {
    const path = key.split('/').map(encodeRfc3986).join('/');
    const url = new URL(`https://${bucket}.s3.${this.region}.amazonaws.com/${path}`);
    const signed = signV4(
      {
        method,
        url,
        headers,
        payloadSha256: body === undefined ? EMPTY_SHA256 : hexSha256(body),
      },
      this.credentials,
      this.region,
      's3',
      new Date(),
    );
    const { host: _host, ...sent } = signed;
    return fetch(url, {
      method,
      headers: sent,
      body: body ?? null,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}

async function failUnlessOk(response: Response, what: string): Promise<void> {
  if (response.ok) return;
  const text = (await response.text()).slice(0, 300);
  throw new Error(`${what}: S3 answered ${response.status}: ${text}`);
}
