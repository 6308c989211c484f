import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, toPublicJwks } from './signing-keys.js';

describe(generateSigningKey.name, () => {
  it('makes an Ed25519 key pair whose kid is the RFC 7638 thumbprint of the public key', async () => {
    const key = await generateSigningKey();
    expect(key.algorithm).toBe('EdDSA');
    expect(key.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x });
    expect(key.publicJwk.x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x });
    expect(key.privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    expect(key.kid).toBe(await calculateJwkThumbprint(key.privateJwk, 'sha256'));
  });

  it('makes a new key every time', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.kid).not.toBe(b.kid);
    expect(a.privateJwk.d).not.toBe(b.privateJwk.d);
  });
});

describe(toPublicJwks.name, () => {
  it('publishes kid, alg EdDSA and use sig for every key, and never d', async () => {
    const keys = await Promise.all([generateSigningKey(), generateSigningKey()]);
    const jwks = toPublicJwks(keys);
    expect(jwks.keys).toEqual(
      keys.map(({ kid, publicJwk }) => ({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' })),
    );
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('publishes only the public half even when given a private JWK by mistake', async () => {
    const { kid, privateJwk } = await generateSigningKey();
    const [published] = toPublicJwks([{ kid, publicJwk: privateJwk }]).keys;
    expect(published).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: privateJwk.x,
      kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(published).not.toHaveProperty('d');
  });

  it('refuses a key that is not an Ed25519 public JWK', () => {
    expect(() =>
      toPublicJwks([{ kid: 'k1', publicJwk: { kty: 'RSA', n: 'x', e: 'AQAB' } }]),
    ).toThrow(/'k1' is not an Ed25519 public JWK/);
    expect(toPublicJwks([])).toEqual({ keys: [] });
  });
});
