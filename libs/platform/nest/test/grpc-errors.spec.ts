/**
 * gRPC on the platform, over a real socket: errors of handlers reach clients as the status
 * codes of the one mapping (GRPC_STATUS), and unexpected errors as a generic INTERNAL.
 */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  credentials,
  loadPackageDefinition,
  status,
  type ServiceClientConstructor,
  type ServiceError as GrpcError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadConfig, serviceConfigSchema, ServiceError } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp } from '../src/index.js';

const PROTO = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'widget.proto');

@Controller()
class WidgetGrpcController {
  @GrpcMethod('WidgetService', 'GetWidget')
  getWidget(request: { id: string }): { name: string } {
    if (request.id === 'missing') throw new ServiceError('NOT_FOUND', 'No widget with id missing.');
    if (request.id === 'boom') throw new Error('connect ECONNREFUSED 10.0.0.3:5432 password=x');
    return { name: `widget ${request.id}` };
  }
}

@Module({ controllers: [WidgetGrpcController] })
class WidgetGrpcModule {}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let app: NestFastifyApplication;
let stub: InstanceType<ServiceClientConstructor> & {
  getWidget(
    request: { id: string },
    options: { deadline: Date },
    callback: (error: GrpcError | null, response: { name: string }) => void,
  ): void;
};

function getWidget(id: string): Promise<{ name: string }> {
  return new Promise((resolve, reject) => {
    stub.getWidget({ id }, { deadline: new Date(Date.now() + 5_000) }, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

beforeAll(async () => {
  const grpcPort = await freePort();
  const config = loadConfig(
    serviceConfigSchema({ serviceName: 'widget-service', httpPort: 0, grpcPort }),
    {
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    },
  );
  const loader = { keepCase: false, longs: Number, defaults: true, includeDirs: [] };
  ({ app } = await createServiceApp({
    info: { title: 'widgets', description: 'test service', version: '9.9.9' },
    config,
    imports: [WidgetGrpcModule],
    grpc: { package: 'test.widget.v1', protoPath: PROTO, loader },
  }));
  await app.startAllMicroservices();
  await app.init();
  const loaded = loadPackageDefinition(loadSync(PROTO, loader)) as unknown as {
    test: { widget: { v1: { WidgetService: ServiceClientConstructor } } };
  };
  stub = new loaded.test.widget.v1.WidgetService(
    `127.0.0.1:${grpcPort}`,
    credentials.createInsecure(),
  ) as typeof stub;
});

afterAll(async () => {
  stub?.close();
  await app?.close();
});

describe('gRPC errors', () => {
  it('answers a successful call', async () => {
    expect(await getWidget('7')).toEqual({ name: 'widget 7' });
  });

  it('maps a ServiceError to its status code, with its message', async () => {
    const error = (await getWidget('missing').catch((e: unknown) => e)) as GrpcError;
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toBe('No widget with id missing.');
  });

  it('answers an unexpected error INTERNAL without its details', async () => {
    const error = (await getWidget('boom').catch((e: unknown) => e)) as GrpcError;
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe('The server could not complete the request.');
  });
});
