/**
 * The `nomaly.auth.v1.AuthService` gRPC contract, called as another service would: a plain
 * @grpc/grpc-js client built from the published .proto, with a deadline.
 */
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_ROOT, protoPath } from '@nomaly/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  runCli,
  startService,
  TEST_REDIS_URL,
  type RunningService,
} from './harness.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningService;
let apiKey: string;
let tenantId: string;

interface IntrospectResponse {
  active: boolean;
  tenantId: string;
  keyId: string;
  roles: string[];
}

type Client = InstanceType<ServiceClientConstructor> & {
  introspectApiKey(
    request: { apiKey: string },
    options: { deadline: Date },
    callback: (error: Error | null, response: IntrospectResponse) => void,
  ): void;
};

function client(): Client {
  const definition = loadSync(protoPath('nomaly/auth/v1/auth_service.proto'), {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    enums: String,
    defaults: true,
  });
  const loaded = loadPackageDefinition(definition) as unknown as {
    nomaly: { auth: { v1: { AuthService: ServiceClientConstructor } } };
  };
  return new loaded.nomaly.auth.v1.AuthService(
    service.grpcAddress,
    credentials.createInsecure(),
  ) as Client;
}

async function introspect(key: string): Promise<IntrospectResponse> {
  const stub = client();
  try {
    return await new Promise((resolve, reject) => {
      stub.introspectApiKey(
        { apiKey: key },
        { deadline: new Date(Date.now() + 5_000) },
        (error, response) => (error === null ? resolve(response) : reject(error)),
      );
    });
  } finally {
    stub.close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  service = await startService({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL });
  const created = await runCli(service.env, ['create-admin', '--tenant', 'grpc', '--json']);
  expect(created.code, created.stderr).toBe(0);
  ({ apiKey, tenantId } = JSON.parse(created.stdout) as { apiKey: string; tenantId: string });
});

afterAll(async () => {
  if (service !== undefined) expect(await service.stop()).toBe(0);
  await database?.drop();
});

describe('AuthService.IntrospectApiKey', () => {
  it('describes an active key', async () => {
    const response = await introspect(apiKey);
    expect(response).toMatchObject({ active: true, tenantId, roles: ['ROLE_ADMIN'] });
    expect(response.keyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers inactive (not an error) for an unknown or malformed key', async () => {
    expect(await introspect('nmly_aaaaaaaa_' + 'b'.repeat(43))).toMatchObject({
      active: false,
      tenantId: '',
    });
    expect(await introspect('garbage')).toMatchObject({ active: false });
  });
});
