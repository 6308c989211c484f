import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The one JWS algorithm the auth service signs with, and the one verifiers pin. */
export const SIGNING_ALGORITHM = 'EdDSA';

/** A freshly generated token-signing key pair. */
export interface GeneratedSigningKey {
  /** RFC 7638 thumbprint (SHA-256, base64url) of the public key: derived, so never chosen badly. */
  kid: string;
  algorithm: typeof SIGNING_ALGORITHM;
  /** `{ kty: 'OKP', crv: 'Ed25519', x }`: published in the JWKS. */
  publicJwk: JWK;
  /** The public members plus `d`: seal it (see `SecretBox`) before it touches the database. */
  privateJwk: JWK;
}

/**
 * Generates an Ed25519 signing key. Ed25519 over RSA: small keys and signatures, fast signing,
 * and no parameter choices (padding, exponent, curve) to get wrong.
 */
export async function generateSigningKey(): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return { kid, algorithm: SIGNING_ALGORITHM, publicJwk, privateJwk };
}

/**
 * The JWKS document (RFC 7517) served to verifiers. Members are copied by allow-list, not by
 * deleting `d`, so a private key passed here by mistake still publishes only its public half.
 *
 * @throws Error when a key is not an Ed25519 public key (a stored row that cannot be served)
 */
export function toPublicJwks(keys: ReadonlyArray<{ kid: string; publicJwk: JWK }>): {
  keys: JWK[];
} {
  return {
    keys: keys.map(({ kid, publicJwk: { kty, crv, x } }) => {
      if (kty !== 'OKP' || crv !== 'Ed25519' || x === undefined || x.length === 0) {
        throw new Error(`Signing key '${kid}' is not an Ed25519 public JWK.`);
      }
      return { kty, crv, x, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
    }),
  };
}
