import { createHash } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSigningKey, type GeneratedSigningKey } from './signing-keys.js';
import { TokenIssuer, generateRefreshToken, parseRefreshToken } from './token-issuer.js';

const OPTIONS = { issuer: 'https://auth.nomaly.test', audience: 'nomaly-api', ttlSeconds: 900 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(TokenIssuer.name, () => {
  const sut = new TokenIssuer(OPTIONS);
  let key: GeneratedSigningKey;

  beforeAll(async () => {
    key = await generateSigningKey();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Verifies as a resource service does: public key, algorithm pinned, issuer and audience. */
  async function verify(token: string, signingKey: GeneratedSigningKey = key) {
    return jwtVerify(token, await importJWK(signingKey.publicJwk, 'EdDSA'), {
      algorithms: ['EdDSA'],
      issuer: OPTIONS.issuer,
      audience: OPTIONS.audience,
      typ: 'JWT',
    });
  }

  it('signs a user token that verifies with the public key and carries every claim', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-02T03:04:05Z'));
    const now = Date.parse('2030-01-02T03:04:05Z') / 1000;
    const issued = await sut.issue(key, {
      subject: 'user-1',
      tenantId: 'tenant-1',
      roles: ['admin', 'analyst'],
      kind: 'user',
    });
    const { payload, protectedHeader } = await verify(issued.accessToken);
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: OPTIONS.issuer,
      aud: OPTIONS.audience,
      sub: 'user-1',
      iat: now,
      nbf: now,
      exp: now + OPTIONS.ttlSeconds,
      jti: issued.tokenId,
      tid: 'tenant-1',
      roles: ['admin', 'analyst'],
      knd: 'user',
    });
    expect(issued.tokenId).toMatch(UUID);
    expect(issued.expiresIn).toBe(OPTIONS.ttlSeconds);
  });

  it('adds akid to an API-key token', async () => {
    const issued = await sut.issue(key, {
      subject: 'user-2',
      tenantId: 'tenant-2',
      roles: [],
      kind: 'api-key',
      apiKeyId: 'key-7',
    });
    const { payload } = await verify(issued.accessToken);
    expect(payload).toMatchObject({ sub: 'user-2', tid: 'tenant-2', roles: [], knd: 'api-key' });
    expect(payload['akid']).toBe('key-7');
  });

  it('sets iat = nbf = now in whole seconds and exp = now + ttlSeconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-02T03:04:05.678Z'));
    const now = Math.floor(Date.parse('2030-01-02T03:04:05.678Z') / 1000);
    const issued = await sut.issue(key, {
      subject: 'u',
      tenantId: 't',
      roles: ['viewer'],
      kind: 'user',
    });
    const { payload } = await verify(issued.accessToken);
    expect(payload.iat).toBe(now);
    expect(payload.nbf).toBe(now);
    expect(payload.exp).toBe(now + OPTIONS.ttlSeconds);
    expect(issued.expiresIn).toBe(OPTIONS.ttlSeconds);

    vi.setSystemTime((now + OPTIONS.ttlSeconds + 1) * 1000);
    await expect(verify(issued.accessToken)).rejects.toThrow(/"exp" claim timestamp check failed/);
  });

  it('gives every token its own jti', async () => {
    const claims = { subject: 'u', tenantId: 't', roles: [], kind: 'user' as const };
    const [a, b] = await Promise.all([sut.issue(key, claims), sut.issue(key, claims)]);
    expect(a.tokenId).not.toBe(b.tokenId);
    expect(decodeProtectedHeader(a.accessToken).kid).toBe(key.kid);
  });

  it('signs with the key it is given, so another key does not verify the token', async () => {
    const other = await generateSigningKey();
    const issued = await sut.issue(other, { subject: 'u', tenantId: 't', roles: [], kind: 'user' });
    expect(decodeProtectedHeader(issued.accessToken).kid).toBe(other.kid);
    await expect(verify(issued.accessToken, other)).resolves.toBeDefined();
    await expect(verify(issued.accessToken, key)).rejects.toThrow(/signature verification failed/);
  });

  it('refuses inconsistent claims and a key without its private part', async () => {
    const base = { subject: 'u', tenantId: 't', roles: ['r'] };
    await expect(sut.issue(key, { ...base, kind: 'api-key' })).rejects.toThrow(/needs apiKeyId/);
    await expect(sut.issue(key, { ...base, kind: 'user', apiKeyId: 'k' })).rejects.toThrow(
      /must not carry apiKeyId/,
    );
    await expect(sut.issue(key, { ...base, subject: '', kind: 'user' })).rejects.toThrow(/subject/);
    await expect(sut.issue(key, { ...base, tenantId: '', kind: 'user' })).rejects.toThrow(
      /tenantId/,
    );
    await expect(sut.issue(key, { ...base, roles: [''], kind: 'user' })).rejects.toThrow(/roles/);
    await expect(
      sut.issue({ kid: key.kid, privateJwk: key.publicJwk }, { ...base, kind: 'user' }),
    ).rejects.toThrow(/no private part/);
  });

  it('rejects invalid options', () => {
    expect(() => new TokenIssuer({ ...OPTIONS, issuer: '' })).toThrow(/issuer/);
    expect(() => new TokenIssuer({ ...OPTIONS, audience: '' })).toThrow(/audience/);
    for (const ttlSeconds of [0, -1, 1.5, Number.NaN]) {
      expect(() => new TokenIssuer({ ...OPTIONS, ttlSeconds })).toThrow(/ttlSeconds/);
    }
  });
});

describe(generateRefreshToken.name, () => {
  it('makes an opaque nmrt_ token of 32 random bytes and stores its SHA-256 hex', () => {
    const { token, hash } = generateRefreshToken();
    expect(token).toMatch(/^nmrt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(5), 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(generateRefreshToken().token).not.toBe(token);
  });
});

describe(parseRefreshToken.name, () => {
  it('returns the stored hash for a well-formed token and undefined for anything else', () => {
    const { token, hash } = generateRefreshToken();
    expect(parseRefreshToken(token)).toEqual({ hash });
    for (const bad of [
      '',
      'nmrt_',
      `${token}x`,
      token.slice(0, -1),
      token.replace('nmrt_', 'nmly_'),
    ]) {
      expect(parseRefreshToken(bad), bad).toBeUndefined();
    }
  });
});
