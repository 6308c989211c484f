/**
 * Forged and tampered tokens for the bad-token cases. The service's real signing key is read
 * from its database and unsealed with the test's encryption secret, so "expired" or "wrong
 * audience" tokens carry a valid signature and only the claim check can reject them.
 */
import { createHmac } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { SecretBox } from '../src/crypto/index.js';
import { sql } from './harness.js';

export interface SigningMaterial {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function serviceSigningKey(
  databaseUrl: string,
  encryptionSecret: string,
): Promise<SigningMaterial> {
  const rows = await sql<{ kid: string; private_jwk_sealed: string; public_jwk: JWK }>(
    databaseUrl,
    `SELECT kid, private_jwk_sealed, public_jwk FROM auth.signing_keys
      WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no signing key');
  const box = new SecretBox(encryptionSecret, 'nomaly-auth-signing-keys');
  return {
    kid: row.kid,
    privateJwk: JSON.parse(box.open(row.private_jwk_sealed)) as JWK,
    publicJwk: row.public_jwk,
  };
}

export interface Claims {
  iss?: string;
  aud?: string;
  sub?: string;
  tid?: string;
  roles?: unknown;
  knd?: string;
  exp?: number;
  iat?: number;
  jti?: string;
}

export function validClaims(tenantId: string): Required<Claims> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'nomaly-auth',
    aud: 'nomaly-api',
    sub: 'forged-user',
    tid: tenantId,
    roles: ['admin'],
    knd: 'user',
    iat: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
  };
}

export async function signEdDsa(
  key: { kid: string; privateJwk: JWK },
  claims: Claims,
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .sign(await importJWK(key.privateJwk, 'EdDSA'));
}

export async function otherEd25519Key(kid: string): Promise<{ kid: string; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, privateJwk: await exportJWK(privateKey) };
}

const b64 = (value: object | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** `alg: none`: an unsigned token. */
export function unsignedToken(claims: Claims): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

/** The classic confusion attack: HS256 "signed" with the server's public key as the secret. */
export function hs256WithPublicKey(kid: string, publicJwk: JWK, claims: Claims): string {
  const input = `${b64({ alg: 'HS256', kid, typ: 'JWT' })}.${b64(claims)}`;
  const secret = JSON.stringify(publicJwk);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
