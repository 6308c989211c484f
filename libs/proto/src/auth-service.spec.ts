import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authV1, GRPC_LOADER_OPTIONS, GRPC_PACKAGES, PROTO_FILES, protoPath } from './index.js';

const { Role } = authV1;
type Request = authV1.IntrospectApiKeyRequest;
type Response = authV1.IntrospectApiKeyResponse;

/** What the test server knows: one active key that expires, one that does not. */
const KEYS: Record<string, Response> = {
  nmly_admin: {
    active: true,
    tenantId: 'tenant-1',
    keyId: 'key-1',
    roles: [Role.ROLE_ADMIN, Role.ROLE_VIEWER],
    expiresAt: { seconds: 1_893_553_445, nanos: 678_000_000 },
    subject: 'user-1',
  },
  nmly_forever: {
    active: true,
    tenantId: 'tenant-2',
    keyId: 'key-2',
    roles: [Role.ROLE_ANALYST],
    subject: 'svc-batch',
  },
};

/** The client `makeGenericClientConstructor` builds from the loaded service definition. */
type AuthServiceClient = grpc.Client & {
  introspectApiKey(
    request: Request,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: Response) => void,
  ): void;
};

/** Loads the service the way Nest's transport does: proto-loader on the shipped .proto file. */
function loadAuthService(): grpc.ServiceDefinition {
  const definition = loadSync(protoPath(PROTO_FILES.auth), { ...GRPC_LOADER_OPTIONS });
  const service = definition[`${GRPC_PACKAGES.auth}.${authV1.AUTH_SERVICE_NAME}`];
  if (service === undefined || !('IntrospectApiKey' in service)) {
    throw new Error('AuthService is missing from the loaded package definition');
  }
  return service;
}

describe(`${GRPC_PACKAGES.auth}.AuthService over @grpc/grpc-js`, () => {
  const service = loadAuthService();
  const seenRequestIds: string[] = [];
  let server: grpc.Server;
  let client: AuthServiceClient;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(service, {
      IntrospectApiKey: (
        call: grpc.ServerUnaryCall<Request, Response>,
        callback: grpc.sendUnaryData<Response>,
      ) => {
        seenRequestIds.push(String(call.metadata.get('x-request-id')[0]));
        if (call.request.apiKey === '') {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'api_key is empty' });
          return;
        }
        // Defaults fill in the rest of an inactive answer, as `defaults: true` promises.
        callback(null, KEYS[call.request.apiKey] ?? ({ active: false } as Response));
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      );
    });
    const Client = grpc.makeGenericClientConstructor(service, authV1.AUTH_SERVICE_NAME);
    client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as AuthServiceClient;
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  function introspect(apiKey: string, requestId = 'req-1'): Promise<Response> {
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', requestId);
    return new Promise((resolve, reject) => {
      client.introspectApiKey(
        { apiKey },
        metadata,
        { deadline: Date.now() + 5_000 },
        (error, response) => {
          if (error !== null) reject(error);
          else if (response === undefined) reject(new Error('no response and no error'));
          else resolve(response);
        },
      );
    });
  }

  it('answers an active key with its tenant, roles and expiry, metadata included', async () => {
    expect(await introspect('nmly_admin', 'req-42')).toEqual(KEYS['nmly_admin']);
    expect(seenRequestIds).toContain('req-42');
  });

  it('leaves an absent optional expiry undefined and fills the other defaults', async () => {
    const forever = await introspect('nmly_forever');
    expect(forever).toEqual(KEYS['nmly_forever']);
    expect(forever.expiresAt).toBeUndefined();

    expect(await introspect('nmly_unknown')).toEqual({
      active: false,
      tenantId: '',
      keyId: '',
      roles: [],
      subject: '',
    });
  });

  it('carries a status code for an invalid call', async () => {
    await expect(introspect('')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'api_key is empty',
    });
  });

  it('agrees byte for byte with the generated encoder and decoder', () => {
    const method = service['IntrospectApiKey'];
    if (method === undefined) throw new Error('IntrospectApiKey is missing');
    const response = KEYS['nmly_admin'] as Response;
    const fromLoader = method.responseSerialize(response);
    const fromGenerated = authV1.IntrospectApiKeyResponse.encode(response).finish();
    expect(Buffer.from(fromGenerated)).toEqual(fromLoader);
    expect(authV1.IntrospectApiKeyResponse.decode(fromLoader)).toEqual(response);
  });
});
