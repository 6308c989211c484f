import { gzipSync } from 'node:zlib';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  eventually,
  runCli,
  sql,
  startService,
  TEST_REDIS_URL,
  type RunningService,
} from './harness.js';
import {
  hs256WithPublicKey,
  otherEd25519Key,
  serviceSigningKey,
  signEdDsa,
  unsignedToken,
  validClaims,
  type SigningMaterial,
} from './tokens.js';

const ENCRYPTION_SECRET = 'test-encryption-secret-0123456789abcdef';
const UI_ORIGIN = 'https://ui.example.com';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningService;
let adminKey: string;
let tenantId: string;
let adminToken: string;
let signingKey: SigningMaterial;

async function call(
  path: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('Authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(`${service.baseUrl}${path}`, { ...init, headers, body: body ?? null });
}

async function tokenFor(apiKey: string): Promise<string> {
  const response = await call('/api/v1/auth/token', { method: 'POST', json: { apiKey } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

async function count(table: string): Promise<number> {
  const rows = await sql<{ n: string }>(database.url, `SELECT count(*) AS n FROM auth.${table}`);
  return Number(rows[0]?.n);
}

async function expectProblem(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const text = await response.text();
  const problem = JSON.parse(text) as { code: string; status: number; detail: string };
  expect(problem.code).toBe(code);
  expect(problem.status).toBe(status);
  expect(text).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // no stack trace
  return text;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    API_KEYS_ENCRYPTION_KEY: ENCRYPTION_SECRET,
    MAX_REQUEST_SIZE_MB: '1',
    CORS_ORIGINS: UI_ORIGIN,
    SERVICE_NAME: `auth-service`,
  };
  service = await startService(env);
  const created = await runCli(service.env, [
    'create-admin',
    '--tenant',
    'acme',
    '--email',
    'admin@acme.test',
    '--password',
    'correct horse battery staple',
    '--json',
  ]);
  expect(created.code, created.stderr).toBe(0);
  const result = JSON.parse(created.stdout) as { apiKey: string; tenantId: string };
  adminKey = result.apiKey;
  tenantId = result.tenantId;
  adminToken = await tokenFor(adminKey);
  signingKey = await serviceSigningKey(database.url, ENCRYPTION_SECRET);
});

afterAll(async () => {
  if (service !== undefined) {
    const code = await service.stop();
    expect(code).toBe(0);
    expect(service.logs.some((line) => line.msg === 'stopped')).toBe(true);
  }
  await database?.drop();
});

describe('migrations', () => {
  it('created the auth schema from empty, with its migrations table inside it', async () => {
    const tables = await sql<{ table_name: string }>(
      database.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'auth' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['api_keys', 'refresh_tokens', 'signing_keys', 'tenants', 'users']),
    );
    const publicTables = await sql(
      database.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(publicTables).toEqual([]);
    const status = await runCli(service.env, ['migrate', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('InitialAuthSchema1764190000000');
  });
});

describe('tokens', () => {
  it('exchanges the bootstrap API key for a JWT that the JWKS verifies', async () => {
    const response = await call('/api/v1/auth/token', {
      method: 'POST',
      json: { apiKey: adminKey },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      accessToken: string;
      tokenType: string;
      expiresIn: number;
    };
    expect(body.tokenType).toBe('Bearer');
    expect(body.expiresIn).toBe(900);

    const jwks = (await (await call('/.well-known/jwks.json')).json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(
      body.accessToken,
      createLocalJWKSet(jwks),
      {
        algorithms: ['EdDSA'],
        issuer: 'nomaly-auth',
        audience: 'nomaly-api',
      },
    );
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ tid: tenantId, roles: ['admin'], knd: 'api-key' });
  });

  it('answers /me with the principal', async () => {
    const response = await call('/api/v1/auth/me', { token: adminToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tenantId, roles: ['admin'], kind: 'api-key' });
  });

  it('signs users in with a password and refreshes once per refresh token', async () => {
    const login = await call('/api/v1/auth/token', {
      method: 'POST',
      json: { email: 'ADMIN@acme.test', password: 'correct horse battery staple' },
    });
    expect(login.status).toBe(200);
    const { refreshToken } = (await login.json()) as { refreshToken: string };
    const first = await call('/api/v1/auth/refresh', { method: 'POST', json: { refreshToken } });
    expect(first.status).toBe(200);
    const again = await call('/api/v1/auth/refresh', { method: 'POST', json: { refreshToken } });
    await expectProblem(again, 401, 'UNAUTHENTICATED');

    const wrong = await call('/api/v1/auth/token', {
      method: 'POST',
      json: { email: 'admin@acme.test', password: 'not the password at all' },
    });
    const unknown = await call('/api/v1/auth/token', {
      method: 'POST',
      json: { email: 'nobody@acme.test', password: 'not the password at all' },
    });
    expect(await expectProblem(wrong, 401, 'UNAUTHENTICATED')).toBe(
      await expectProblem(unknown, 401, 'UNAUTHENTICATED'),
    );
  });

  it('answers unknown, revoked and expired API keys with byte-identical 401s', async () => {
    const make = async (name: string): Promise<{ id: string; key: string }> => {
      const response = await call('/api/v1/auth/api-keys', {
        method: 'POST',
        token: adminToken,
        json: { name, roles: ['viewer'] },
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string; key: string };
    };
    const revoked = await make('to revoke');
    const expired = await make('to expire');
    expect(
      (await call(`/api/v1/auth/api-keys/${revoked.id}`, { method: 'DELETE', token: adminToken }))
        .status,
    ).toBe(204);
    await sql(
      database.url,
      `UPDATE auth.api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [expired.id],
    );
    const unknownKey = `nmly_zzzzzzzz_${Buffer.alloc(32, 7).toString('base64url')}`;
    const bodies = await Promise.all(
      [unknownKey, revoked.key, expired.key].map(async (apiKey) =>
        expectProblem(
          await call('/api/v1/auth/token', { method: 'POST', json: { apiKey } }),
          401,
          'UNAUTHENTICATED',
        ),
      ),
    );
    expect(new Set(bodies).size).toBe(1);
  });
});

describe('tenancy and administration', () => {
  it('lets an admin manage users, paginated by cursor, and hides other tenants', async () => {
    for (const n of [1, 2, 3]) {
      const response = await call('/api/v1/auth/users', {
        method: 'POST',
        token: adminToken,
        json: {
          email: `analyst${n}@acme.test`,
          password: 'a long enough password',
          roles: ['analyst'],
        },
      });
      expect(response.status).toBe(201);
    }
    const duplicate = await call('/api/v1/auth/users', {
      method: 'POST',
      token: adminToken,
      json: { email: 'analyst1@acme.test', password: 'a long enough password', roles: ['analyst'] },
    });
    await expectProblem(duplicate, 409, 'CONFLICT');

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await (
        await call(`/api/v1/auth/users?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`, {
          token: adminToken,
        })
      ).json()) as { items: Array<{ email: string; tenantId: string }>; nextCursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const user of page.items) {
        expect(user.tenantId).toBe(tenantId);
        seen.push(user.email);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(
      expect.arrayContaining(['admin@acme.test', 'analyst1@acme.test', 'analyst3@acme.test']),
    );

    // Another tenant's admin sees none of this tenant's users and cannot touch its keys.
    const other = await runCli(service.env, ['create-admin', '--tenant', 'globex', '--json']);
    const otherToken = await tokenFor((JSON.parse(other.stdout) as { apiKey: string }).apiKey);
    const otherUsers = (await (await call('/api/v1/auth/users', { token: otherToken })).json()) as {
      items: unknown[];
    };
    expect(otherUsers.items).toEqual([]);
    const keys = (await (await call('/api/v1/auth/api-keys', { token: adminToken })).json()) as {
      items: Array<{ id: string }>;
    };
    const victim = keys.items[0]?.id ?? '';
    const before = await sql(database.url, `SELECT revoked_at FROM auth.api_keys WHERE id = $1`, [
      victim,
    ]);
    await expectProblem(
      await call(`/api/v1/auth/api-keys/${victim}`, { method: 'DELETE', token: otherToken }),
      404,
      'NOT_FOUND',
    );
    expect(
      await sql(database.url, `SELECT revoked_at FROM auth.api_keys WHERE id = $1`, [victim]),
    ).toEqual(before);
  });

  it('disables a user: sign-in then fails like a wrong password', async () => {
    const created = (await (
      await call('/api/v1/auth/users', {
        method: 'POST',
        token: adminToken,
        json: { email: 'leaver@acme.test', password: 'a long enough password', roles: ['viewer'] },
      })
    ).json()) as { id: string };
    const patched = await call(`/api/v1/auth/users/${created.id}`, {
      method: 'PATCH',
      token: adminToken,
      json: { disabled: true },
    });
    expect(patched.status).toBe(200);
    await expectProblem(
      await call('/api/v1/auth/token', {
        method: 'POST',
        json: { email: 'leaver@acme.test', password: 'a long enough password' },
      }),
      401,
      'UNAUTHENTICATED',
    );
  });
});

describe('signing key rotation', () => {
  it('publishes the new key beside the old one, so tokens signed before the rotation stay valid', async () => {
    const before = await tokenFor(adminKey);
    const rotated = await runCli(service.env, ['keys', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKid = rotated.stdout.trim();
    // The service re-reads its keys within its cache period (5 s).
    const jwks = await eventually(async () => {
      const set = (await (await call('/.well-known/jwks.json')).json()) as JSONWebKeySet;
      expect(set.keys.map((k) => k.kid)).toContain(newKid);
      return set;
    }, 15_000);
    expect(jwks.keys.map((k) => k.kid)).toContain(signingKey.kid);
    expect((await call('/api/v1/auth/me', { token: before })).status).toBe(200);
    const after = await tokenFor(adminKey);
    const header = JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
    };
    expect(header.kid).toBe(newKid);
    expect((await call('/api/v1/auth/me', { token: after })).status).toBe(200);
  });
});

describe('bad tokens', () => {
  const cases: Array<[string, () => string | undefined | Promise<string | undefined>]> = [
    ['no token', () => undefined],
    ['malformed', () => 'not.a.jwt'],
    ['garbage', () => 'Zm9v'],
    [
      'bad signature',
      async () => signEdDsa(await otherEd25519Key(signingKey.kid), validClaims(tenantId)),
    ],
    ['alg none', () => unsignedToken(validClaims(tenantId))],
    [
      'HS256 with the public key as secret',
      () => hs256WithPublicKey(signingKey.kid, signingKey.publicJwk, validClaims(tenantId)),
    ],
    [
      'expired',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return signEdDsa(signingKey, {
          ...validClaims(tenantId),
          iat: now - 3600,
          exp: now - 1800,
        });
      },
    ],
    [
      'wrong audience',
      async () => signEdDsa(signingKey, { ...validClaims(tenantId), aud: 'other-api' }),
    ],
    ['wrong issuer', async () => signEdDsa(signingKey, { ...validClaims(tenantId), iss: 'evil' })],
    [
      'unknown kid',
      async () => signEdDsa(await otherEd25519Key('no-such-kid'), validClaims(tenantId)),
    ],
    [
      'missing tenant',
      async () => signEdDsa(signingKey, { ...validClaims(tenantId), tid: undefined }),
    ],
    [
      'unknown role',
      async () => signEdDsa(signingKey, { ...validClaims(tenantId), roles: ['root'] }),
    ],
  ];

  it.each(cases)('%s → 401, never 500', async (_name, make) => {
    const token = await make();
    const response = await call('/api/v1/auth/me', token === undefined ? {} : { token });
    await expectProblem(response, 401, 'UNAUTHENTICATED');
  });

  it('accepts a token forged only with the real key and valid claims (the cases above are sound)', async () => {
    const token = await signEdDsa(signingKey, validClaims(tenantId));
    expect((await call('/api/v1/auth/me', { token })).status).toBe(200);
  });
});

describe('authorisation and validation', () => {
  it('gives a viewer 403 on an admin route', async () => {
    const created = await call('/api/v1/auth/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: 'viewer', roles: ['viewer'] },
    });
    const viewerToken = await tokenFor(((await created.json()) as { key: string }).key);
    await expectProblem(
      await call('/api/v1/auth/api-keys', { token: viewerToken }),
      403,
      'FORBIDDEN',
    );
    await expectProblem(
      await call('/api/v1/auth/users', {
        method: 'POST',
        token: viewerToken,
        json: { email: 'x@acme.test', password: 'long enough password', roles: ['admin'] },
      }),
      403,
      'FORBIDDEN',
    );
  });

  it('rejects unknown fields with 400 and writes nothing (no mass assignment)', async () => {
    const [keys, users] = [await count('api_keys'), await count('users')];
    const key = await call('/api/v1/auth/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: 'sneaky', roles: ['admin'], tenantId: crypto.randomUUID(), keyHash: 'x' },
    });
    const text = await expectProblem(key, 400, 'VALIDATION_FAILED');
    expect(text).toContain('tenantId');
    const user = await call('/api/v1/auth/users', {
      method: 'POST',
      token: adminToken,
      json: {
        email: 'new@acme.test',
        password: 'long enough password',
        roles: ['viewer'],
        disabled: false,
        tenantId,
      },
    });
    await expectProblem(user, 400, 'VALIDATION_FAILED');
    expect([await count('api_keys'), await count('users')]).toEqual([keys, users]);
  });

  it('rejects __proto__ keys and malformed JSON with 400', async () => {
    const poisoned = await call('/api/v1/auth/api-keys', {
      method: 'POST',
      token: adminToken,
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"p","__proto__":{"isAdmin":true}}',
    });
    await expectProblem(poisoned, 400, 'VALIDATION_FAILED');
    const broken = await call('/api/v1/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"apiKey": ',
    });
    await expectProblem(broken, 400, 'VALIDATION_FAILED');
  });

  it('answers 413 for a body over MAX_REQUEST_SIZE_MB, counted after decompression', async () => {
    const big = JSON.stringify({ apiKey: 'x'.repeat(1_200_000) });
    await expectProblem(
      await call('/api/v1/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: big,
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const bomb = gzipSync(Buffer.from(big));
    expect(bomb.length).toBeLessThan(100_000);
    await expectProblem(
      await call('/api/v1/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: bomb,
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const small = gzipSync(Buffer.from(JSON.stringify({ apiKey: adminKey })));
    const ok = await call('/api/v1/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: small,
    });
    expect(ok.status).toBe(200);
  });

  it('answers a foreign or malformed id like a missing one (404)', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid']) {
      await expectProblem(
        await call(`/api/v1/auth/api-keys/${id}`, { method: 'DELETE', token: adminToken }),
        404,
        'NOT_FOUND',
      );
    }
  });
});

describe('idempotency keys', () => {
  it('replays the first response for the same key and body, and refuses another body', async () => {
    const before = await count('users');
    const send = (email: string) =>
      call('/api/v1/auth/users', {
        method: 'POST',
        token: adminToken,
        headers: { 'Idempotency-Key': `create-${tenantId}` },
        json: { email, password: 'a long enough password', roles: ['viewer'] },
      });
    const first = await send('once@acme.test');
    const second = await send('once@acme.test');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    await expectProblem(await send('other@acme.test'), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await count('users')).toBe(before + 1);
  });

  it('never stores a response holding a new API key for replay', async () => {
    const send = () =>
      call('/api/v1/auth/api-keys', {
        method: 'POST',
        token: adminToken,
        headers: { 'Idempotency-Key': `key-${tenantId}` },
        json: { name: 'not replayed', roles: ['viewer'] },
      });
    const [first, second] = [await send(), await send()];
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    const [a, b] = [
      (await first.json()) as { id: string },
      (await second.json()) as { id: string },
    ];
    expect(a.id).not.toBe(b.id);
  });
});

describe('HTTP platform', () => {
  it('sends security headers and echoes a well-formed request id', async () => {
    const response = await call('/health', { headers: { 'X-Request-Id': 'req-123' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-123');
    expect(response.headers.get('strict-transport-security')).toContain('max-age=31536000');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const invented = await call('/health', { headers: { 'X-Request-Id': 'bad id\twith spaces' } });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('allows CORS only from CORS_ORIGINS', async () => {
    const preflight = (origin: string) =>
      call('/api/v1/auth/token', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    expect((await preflight(UI_ORIGIN)).headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(
      (await preflight('https://evil.example.com')).headers.get('access-control-allow-origin'),
    ).toBeNull();
  });

  it('answers unknown routes with a problem document', async () => {
    await expectProblem(await call('/api/v1/nope', { token: adminToken }), 404, 'NOT_FOUND');
  });

  it('serves the OpenAPI document at /api/docs', async () => {
    const response = await call('/api/docs/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/token', '/api/v1/auth/api-keys', '/api/v1/auth/me']),
    );
    expect((await call('/api/docs')).status).toBe(200);
  });

  it('reports health, readiness, dependencies and status', async () => {
    expect((await call('/health')).status).toBe(200);
    expect(await (await call('/ready')).json()).toMatchObject({
      ready: true,
      checks: { database: 'up', cache: 'up' },
    });
    expect(await (await call('/health/db')).json()).toMatchObject({ status: 'up' });
    expect(await (await call('/health/cache')).json()).toMatchObject({
      status: 'up',
      kind: 'redis',
    });
    const status = (await (await call('/status')).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ service: 'auth-service', version: '0.1.0', draining: false });
    expect(status).toHaveProperty('breakers');
    expect(JSON.stringify(status)).not.toContain(ENCRYPTION_SECRET);
  });

  it('exposes the documented metrics, labelled by route template', async () => {
    await call(`/api/v1/auth/api-keys/${crypto.randomUUID()}`, {
      method: 'DELETE',
      token: adminToken,
    });
    const text = await (await call('/metrics')).text();
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'nomaly_circuit_breaker_state',
      'nomaly_database_connections_active',
      'nomaly_database_connections_max',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(
      /http_requests_total\{[^}]*route="\/api\/v1\/auth\/api-keys\/:id"[^}]*status="404"/,
    );
    expect(text).not.toMatch(/route="\/api\/v1\/auth\/api-keys\/[0-9a-f]{8}-/);
  });
});
