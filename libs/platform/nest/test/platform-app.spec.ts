/**
 * The platform around a small service, in process: guards, validation, problem+json,
 * idempotency, rate limits, decoded body limits, metrics and health, through Fastify's inject
 * (real routing, hooks and serialisation; no socket).
 */
import { gzipSync } from 'node:zlib';
import { Body, Controller, Get, HttpCode, Injectable, Module, Param, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  loadConfig,
  serviceConfigSchema,
  ServiceError,
  type Principal,
} from '@nomaly/platform-core';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServiceApp,
  CurrentPrincipal,
  Public,
  RequireRole,
  ResourceIdPipe,
  type JwksSource,
} from '../src/index.js';

const keyPair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const publicJwk: JWK = { ...(await exportJWK(keyPair.publicKey)), kid: 'test-key', alg: 'EdDSA' };

@Injectable()
class TestKeys implements JwksSource {
  jwks(): Promise<JSONWebKeySet> {
    return Promise.resolve({ keys: [publicJwk] });
  }
}

class CreateWidgetDto {
  @IsString() name!: string;
  @IsInt() @Min(1) @Max(10) size!: number;
}

let created = 0;

@Controller('api/v1/widgets')
class WidgetController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('mine')
  mine(@CurrentPrincipal() principal: Principal): { tenantId: string } {
    return { tenantId: principal.tenantId };
  }

  @RequireRole('admin')
  @Get('admin')
  admin(): { admin: true } {
    return { admin: true };
  }

  @Post()
  create(@Body() body: CreateWidgetDto): { id: number; name: string } {
    created += 1;
    return { id: created, name: body.name };
  }

  @Public()
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): unknown {
    return body;
  }

  @Get(':id')
  byId(@Param('id', new ResourceIdPipe('widget')) id: string): never {
    throw new ServiceError('NOT_FOUND', `No widget with id ${id}.`);
  }

  @Public()
  @Get('fail/:kind')
  fail(@Param('kind') kind: string): never {
    if (kind === 'outage')
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:5432'), {
        code: 'ECONNREFUSED',
      });
    throw new Error('secret internals: password=hunter2');
  }
}

@Module({ controllers: [WidgetController] })
class WidgetModule {}

let app: NestFastifyApplication;

async function token(roles: string[], tenantId = 'tenant-a'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: tenantId, roles, knd: 'user' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key', typ: 'JWT' })
    .setIssuer('nomaly-auth')
    .setAudience('nomaly-api')
    .setSubject('user-1')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(crypto.randomUUID())
    .sign(keyPair.privateKey);
}

beforeAll(async () => {
  const config = loadConfig(
    serviceConfigSchema({ serviceName: 'widget-service', httpPort: 0, grpcPort: 0 }),
    {
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'silent',
      MAX_REQUEST_SIZE_MB: '0.01',
      RATE_LIMIT_BURST: '1000',
    },
  );
  ({ app } = await createServiceApp({
    info: { title: 'widgets', description: 'test service', version: '9.9.9' },
    config,
    imports: [WidgetModule],
    keySource: TestKeys,
  }));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
});

afterAll(async () => {
  await app?.close();
});

const inject = (options: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(options);

function problem(response: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(response.body) as {
    code: string;
    status: number;
    detail: string;
    errors?: Array<{ field: string }>;
  };
}

describe('authentication', () => {
  it('lets public routes through and protects the rest with 401', async () => {
    expect((await inject({ method: 'GET', url: '/api/v1/widgets/public' })).statusCode).toBe(200);
    const denied = await inject({ method: 'GET', url: '/api/v1/widgets/mine' });
    expect(denied.statusCode).toBe(401);
    expect(problem(denied).code).toBe('UNAUTHENTICATED');
  });

  it('puts the verified principal on the request and enforces roles with 403', async () => {
    const viewer = await token(['viewer']);
    const mine = await inject({
      method: 'GET',
      url: '/api/v1/widgets/mine',
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(JSON.parse(mine.body)).toEqual({ tenantId: 'tenant-a' });
    const forbidden = await inject({
      method: 'GET',
      url: '/api/v1/widgets/admin',
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(problem(forbidden).code).toBe('FORBIDDEN');
    const admin = await token(['admin']);
    expect(
      (
        await inject({
          method: 'GET',
          url: '/api/v1/widgets/admin',
          headers: { authorization: `Bearer ${admin}` },
        })
      ).statusCode,
    ).toBe(200);
  });
});

describe('validation and errors', () => {
  it('rejects unknown and invalid fields with every problem named', async () => {
    const response = await inject({
      method: 'POST',
      url: '/api/v1/widgets',
      headers: { authorization: `Bearer ${await token(['analyst'])}` },
      payload: { name: 7, size: 11, owner: 'someone-else' },
    });
    expect(response.statusCode).toBe(400);
    const body = problem(response);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['name', 'owner', 'size']);
  });

  it('answers a malformed id like a missing one, and hides internals of unexpected errors', async () => {
    const missing = await inject({
      method: 'GET',
      url: '/api/v1/widgets/xyz',
      headers: { authorization: `Bearer ${await token(['viewer'])}` },
    });
    expect(missing.statusCode).toBe(404);
    const internal = await inject({ method: 'GET', url: '/api/v1/widgets/fail/bug' });
    expect(internal.statusCode).toBe(500);
    expect(problem(internal).code).toBe('INTERNAL');
    expect(internal.body).not.toContain('hunter2');
  });

  it('answers a dependency outage with 503 and Retry-After, not 500', async () => {
    const outage = await inject({ method: 'GET', url: '/api/v1/widgets/fail/outage' });
    expect(outage.statusCode).toBe(503);
    expect(problem(outage).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(outage.headers['retry-after']).toBe('5');
  });

  it('refuses deep nesting and prototype keys in JSON and __proto__ in the query, naming them', async () => {
    const auth = { authorization: `Bearer ${await token(['admin'])}` };
    const post = (payload: string) =>
      inject({
        method: 'POST',
        url: '/api/v1/widgets/echo',
        headers: { ...auth, 'content-type': 'application/json' },
        payload,
      });
    const deep = await post('['.repeat(2_000) + ']'.repeat(2_000));
    expect(deep.statusCode).toBe(400);
    expect(problem(deep).detail).toBe('The JSON body nests deeper than 64 levels.');
    const proto = await post('{"__proto__":{"polluted":true}}');
    expect(problem(proto).detail).toBe('The JSON body has a "__proto__" key, which is refused.');
    const ctor = await post('{"constructor":{"prototype":{"polluted":true}}}');
    expect(problem(ctor).detail).toMatch(/"constructor" key holding "prototype"/);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    const query = await inject({
      method: 'GET',
      url: '/api/v1/widgets/mine?a=1&%5F%5Fproto%5F%5F%5Bpolluted%5D=1',
      headers: auth,
    });
    expect(query.statusCode).toBe(400);
    expect(problem(query).detail).toBe('The query has a "__proto__" parameter, which is refused.');
  });

  it('limits the decoded body size and refuses unknown encodings', async () => {
    const large = JSON.stringify({ blob: 'a'.repeat(20_000) });
    const bomb = await inject({
      method: 'POST',
      url: '/api/v1/widgets/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(large),
    });
    expect(bomb.statusCode).toBe(413);
    expect(problem(bomb).code).toBe('PAYLOAD_TOO_LARGE');
    const small = await inject({
      method: 'POST',
      url: '/api/v1/widgets/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ hello: 'world' })),
    });
    expect(JSON.parse(small.body)).toEqual({ hello: 'world' });
    const unknown = await inject({
      method: 'POST',
      url: '/api/v1/widgets/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
      payload: '{}',
    });
    expect(unknown.statusCode).toBe(415);
    const corrupt = await inject({
      method: 'POST',
      url: '/api/v1/widgets/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: 'not gzip at all',
    });
    expect(corrupt.statusCode).toBe(400);
  });
});

describe('idempotency', () => {
  it('runs a keyed POST once, replays it, and refuses the key with another body', async () => {
    const auth = `Bearer ${await token(['analyst'])}`;
    const before = created;
    const send = (name: string) =>
      inject({
        method: 'POST',
        url: '/api/v1/widgets',
        headers: { authorization: auth, 'idempotency-key': 'widget-1' },
        payload: { name, size: 3 },
      });
    const first = await send('a');
    const replay = await send('a');
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(201);
    expect(replay.body).toBe(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(created).toBe(before + 1);
    const reused = await send('b');
    expect(reused.statusCode).toBe(422);
    expect(problem(reused).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const badKey = await inject({
      method: 'POST',
      url: '/api/v1/widgets',
      headers: { authorization: auth, 'idempotency-key': '' },
      payload: { name: 'c', size: 3 },
    });
    expect(badKey.statusCode).toBe(400);
  });
});

describe('operations routes', () => {
  it('serves health, readiness, status and metrics by route template', async () => {
    expect((await inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(JSON.parse((await inject({ method: 'GET', url: '/ready' })).body)).toMatchObject({
      ready: true,
    });
    expect(JSON.parse((await inject({ method: 'GET', url: '/status' })).body)).toMatchObject({
      service: 'widget-service',
      version: '9.9.9',
      cache: { kind: 'memory' },
    });
    await inject({
      method: 'GET',
      url: `/api/v1/widgets/${crypto.randomUUID()}`,
      headers: { authorization: `Bearer ${await token(['viewer'])}` },
    });
    const metrics = (await inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*route="\/api\/v1\/widgets\/:id"[^}]*status="404"/,
    );
  });
});
