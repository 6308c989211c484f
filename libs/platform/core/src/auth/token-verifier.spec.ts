import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/index.js';
import { createLogger } from '../observability/logger.js';
import { INVALID_TOKEN_MESSAGE, TokenVerifier, extractBearer } from './token-verifier.js';

const ISSUER = 'https://auth.nomaly.test';
const AUDIENCE = 'nomaly-api';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly spki: string;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, jwk, spki: await exportSPKI(publicKey) };
}

const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: 'user-1',
  tid: 'tenant-1',
  roles: ['analyst'],
  knd: 'user',
  ...overrides,
});

async function sign(
  key: SigningKey,
  payload: JWTPayload = claims(),
  options: { kid?: string; exp?: string | number; iss?: string; aud?: string } = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? key.kid })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(options.exp ?? '15m')
    .sign(key.privateKey);
}

/** Runs `verify` and returns what it threw (fails the test if it did not). */
async function rejection(
  verifier: TokenVerifier,
  token: string | undefined,
): Promise<ServiceError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

function expectUnauthenticated(error: ServiceError): void {
  expect(error.code).toBe('UNAUTHENTICATED');
  expect(error.status).toBe(401);
  expect(error.message).toBe(INVALID_TOKEN_MESSAGE);
}

/** A JWKS endpoint on 127.0.0.1 that counts its fetches. */
async function jwksServer(initial: JSONWebKeySet) {
  const state = { jwks: initial, fetches: 0, failing: false };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.failing) {
      res.writeHead(500).end('boom');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/jwk-set+json' })
      .end(JSON.stringify(state.jwks));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { state, server, url: `http://127.0.0.1:${port}/.well-known/jwks.json` };
}

describe(TokenVerifier.name, () => {
  let key: SigningKey;
  let otherKey: SigningKey;
  let sut: TokenVerifier;
  const debugLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    key = await signingKey('key-1');
    otherKey = await signingKey('key-2');
    sut = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: () => ({ keys: [key.jwk] }) },
      logger: createLogger({
        service: 'auth-spec',
        level: 'debug',
        destination: {
          write: (l: string) => void debugLines.push(JSON.parse(l) as Record<string, unknown>),
        },
      }),
    });
  });

  it('returns the principal of a valid token', async () => {
    const token = await sign(key);
    const principal = await sut.verify(token);
    expect(principal).toEqual({
      subject: 'user-1',
      tenantId: 'tenant-1',
      roles: ['analyst'],
      kind: 'user',
      tokenId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
  });

  it('reads the API key id of an api-key token', async () => {
    const token = await sign(key, claims({ knd: 'api-key', akid: 'ak-7', roles: ['viewer'] }));
    expect(await sut.verify(token)).toMatchObject({
      kind: 'api-key',
      apiKeyId: 'ak-7',
      roles: ['viewer'],
    });
  });

  it('accepts a token up to the clock tolerance past its expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(key, claims(), { exp: now - 10 });
    await expect(sut.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  const badTokens: [string, RegExp, () => Promise<string | undefined>][] = [
    ['no token', /^no token$/, () => Promise.resolve(undefined)],
    ['an empty token', /^no token$/, () => Promise.resolve('')],
    ['a malformed token', /ERR_JWS_INVALID/, () => Promise.resolve('not.a.jwt')],
    ['garbage', /too long/, () => Promise.resolve('x'.repeat(10_000))],
    [
      'a bad signature (another key, same kid)',
      /SIGNATURE_VERIFICATION_FAILED/,
      () => sign({ ...otherKey, kid: key.kid }),
    ],
    [
      'a tampered payload',
      /SIGNATURE_VERIFICATION_FAILED/,
      async () => {
        const [header, , signature] = (await sign(key)).split('.');
        const forged = base64url.encode(
          JSON.stringify({ ...claims({ roles: ['admin'] }), iss: ISSUER, aud: AUDIENCE }),
        );
        return `${header}.${forged}.${signature}`;
      },
    ],
    [
      'alg: none',
      /ALG_NOT_ALLOWED/,
      () => {
        const now = Math.floor(Date.now() / 1000);
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', kid: key.kid }));
        const payload = base64url.encode(
          JSON.stringify({
            ...claims({ roles: ['admin'] }),
            iss: ISSUER,
            aud: AUDIENCE,
            iat: now,
            exp: now + 600,
            jti: 'j',
          }),
        );
        return Promise.resolve(`${header}.${payload}.`);
      },
    ],
    [
      'HS256 signed with the public key as the secret',
      /ALG_NOT_ALLOWED/,
      async () =>
        new SignJWT(claims({ roles: ['admin'] }))
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setJti('j')
          .setExpirationTime('15m')
          .sign(new TextEncoder().encode(key.spki)),
    ],
    [
      'an expired token',
      /ERR_JWT_EXPIRED/,
      () => sign(key, claims(), { exp: Math.floor(Date.now() / 1000) - 3_600 }),
    ],
    ['another audience', /"aud"/, () => sign(key, claims(), { aud: 'someone-else' })],
    ['another issuer', /"iss"/, () => sign(key, claims(), { iss: 'https://evil.test' })],
    ['an unknown kid', /NO_MATCHING_KEY/, () => sign(otherKey)],
    ['no tid', /^claims: tid$/, () => sign(key, { sub: 'u', roles: ['viewer'], knd: 'user' })],
    ['no roles', /^claims: roles$/, () => sign(key, { sub: 'u', tid: 't', knd: 'user' })],
    [
      'an unknown role',
      /^claims: roles\.1$/,
      () => sign(key, claims({ roles: ['viewer', 'root'] })),
    ],
    ['roles that are not a list', /^claims: roles$/, () => sign(key, claims({ roles: 'admin' }))],
    ['no knd', /^claims: knd$/, () => sign(key, { sub: 'u', tid: 't', roles: ['viewer'] })],
    ['an api-key token without akid', /akid/, () => sign(key, claims({ knd: 'api-key' }))],
    [
      'no jti',
      /"jti"/,
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('15m')
          .sign(key.privateKey),
    ],
    [
      'no exp',
      /"exp"/,
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setJti('j')
          .sign(key.privateKey),
    ],
  ];

  it.each(badTokens)(
    'rejects %s as UNAUTHENTICATED with the one message',
    async (_, reason, make) => {
      const before = debugLines.length;
      expectUnauthenticated(await rejection(sut, await make()));
      // Which check failed is logged for operators, never returned.
      expect(debugLines.slice(before)).toEqual([
        expect.objectContaining({
          level: 'debug',
          msg: 'access token rejected',
          reason: expect.stringMatching(reason) as unknown,
        }),
      ]);
    },
  );

  it('accepts only the pinned algorithms', async () => {
    const es256 = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(es256.publicKey)), kid: 'ec-1', alg: 'ES256' };
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti('j')
      .setExpirationTime('15m')
      .sign(es256.privateKey);
    const pinnedToEdDsa = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: () => ({ keys: [jwk] }) },
    });
    expectUnauthenticated(await rejection(pinnedToEdDsa, token));
    const es256Verifier = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      keys: { local: () => ({ keys: [jwk] }) },
    });
    await expect(es256Verifier.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('sees a rotated local key set at the next verification', async () => {
    let jwks: JSONWebKeySet = { keys: [key.jwk] };
    const verifier = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: () => Promise.resolve(jwks) },
    });
    const token = await sign(otherKey);
    expectUnauthenticated(await rejection(verifier, token));
    jwks = { keys: [key.jwk, otherKey.jwk] };
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('answers DEPENDENCY_UNAVAILABLE when the local key source fails', async () => {
    const verifier = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: {
        local: () => {
          throw new Error('secret store down');
        },
      },
    });
    expect((await rejection(verifier, await sign(key))).code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  describe('with a remote JWKS', () => {
    let jwks: Awaited<ReturnType<typeof jwksServer>>;

    beforeAll(async () => {
      jwks = await jwksServer({ keys: [key.jwk] });
    });

    afterAll(() => {
      jwks.server.close();
    });

    it('fetches the key set once and caches it', async () => {
      jwks.state.fetches = 0;
      const verifier = new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { jwksUrl: jwks.url },
      });
      for (let i = 0; i < 3; i++)
        await expect(verifier.verify(await sign(key))).resolves.toBeDefined();
      expect(jwks.state.fetches).toBe(1);
    });

    it('does not refetch for unknown kids during the cool-down', async () => {
      jwks.state.fetches = 0;
      const verifier = new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { jwksUrl: jwks.url, cooldownMs: 60_000 },
      });
      await verifier.verify(await sign(key));
      for (let i = 0; i < 5; i++) {
        expectUnauthenticated(
          await rejection(verifier, await sign(otherKey, claims(), { kid: `forged-${i}` })),
        );
      }
      expect(jwks.state.fetches).toBe(1);
    });

    it('refetches for an unknown kid after the cool-down, picking up a rotated key', async () => {
      jwks.state.fetches = 0;
      const verifier = new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { jwksUrl: jwks.url, cooldownMs: 0 },
      });
      await verifier.verify(await sign(key));
      expectUnauthenticated(await rejection(verifier, await sign(otherKey)));
      expect(jwks.state.fetches).toBe(2);
      jwks.state.jwks = { keys: [key.jwk, otherKey.jwk] };
      await expect(verifier.verify(await sign(otherKey))).resolves.toMatchObject({
        subject: 'user-1',
      });
      expect(jwks.state.fetches).toBe(3);
      jwks.state.jwks = { keys: [key.jwk] };
    });

    it('keeps verifying with the last key set while a refresh fails', async () => {
      jwks.state.fetches = 0;
      const verifier = new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { jwksUrl: jwks.url, cacheMaxAgeMs: 0 }, // every verification refreshes
      });
      await verifier.verify(await sign(key));
      jwks.state.failing = true;
      try {
        await expect(verifier.verify(await sign(key))).resolves.toMatchObject({
          subject: 'user-1',
        });
        expect(jwks.state.fetches).toBe(2);
        // A kid the old set does not know cannot be judged: the outage answers.
        expect((await rejection(verifier, await sign(otherKey))).code).toBe(
          'DEPENDENCY_UNAVAILABLE',
        );
      } finally {
        jwks.state.failing = false;
      }
    });

    it('answers DEPENDENCY_UNAVAILABLE when the endpoint fails before any key set was fetched', async () => {
      jwks.state.failing = true;
      try {
        const verifier = new TokenVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          keys: { jwksUrl: jwks.url },
        });
        const error = await rejection(verifier, await sign(key));
        expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
        expect(error.status).toBe(503);
      } finally {
        jwks.state.failing = false;
      }
    });

    it('answers DEPENDENCY_UNAVAILABLE when the endpoint is unreachable', async () => {
      const verifier = new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json', timeoutMs: 2_000 },
      });
      expect((await rejection(verifier, await sign(key))).code).toBe('DEPENDENCY_UNAVAILABLE');
      // A token that is bad on its face is still just UNAUTHENTICATED: no key is needed.
      expectUnauthenticated(await rejection(verifier, 'not.a.jwt'));
    });
  });
});

describe(extractBearer.name, () => {
  it('reads the token of a Bearer header, whatever the case of the scheme', () => {
    expect(extractBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractBearer('bearer   abc')).toBe('abc');
    expect(extractBearer(undefined)).toBeUndefined();
    expect(extractBearer('')).toBeUndefined();
    expect(extractBearer('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(extractBearer('Bearer')).toBeUndefined();
    expect(extractBearer('Bearer a b')).toBeUndefined();
  });
});
