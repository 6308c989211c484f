import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, importJWK, type JWK } from 'jose';
import { SIGNING_ALGORITHM } from './signing-keys.js';

/** How the issuer is configured; fixed for the life of the service. */
export interface TokenIssuerOptions {
  /** `iss` of every token, e.g. `https://auth.nomaly.local` (what verifiers expect). */
  issuer: string;
  /** `aud` of every token, e.g. `nomaly-api`. */
  audience: string;
  /** Lifetime of an access token in seconds (a positive integer). */
  ttlSeconds: number;
}

/** Who the token speaks for. */
export interface AccessTokenClaims {
  /** `sub`: the user id, or for an API key the user or service account that owns it. */
  subject: string;
  /** `tid`: the tenant every request made with the token is scoped to. */
  tenantId: string;
  /** `roles`: granted roles, copied as given. */
  roles: readonly string[];
  /** `knd`: whether a person logged in or an API key was exchanged. */
  kind: 'user' | 'api-key';
  /** `akid`: the API key's id; required when `kind` is `'api-key'`, refused otherwise. */
  apiKeyId?: string;
}

/** A signed access token and what the token endpoint returns with it. */
export interface IssuedToken {
  accessToken: string;
  /** Seconds until `exp`, as in the OAuth 2.0 token response. */
  expiresIn: number;
  /** The `jti`, for audit logs and revocation lists. */
  tokenId: string;
}

/**
 * Signs access tokens: compact JWS with header `{ alg: 'EdDSA', kid, typ: 'JWT' }` and the claims
 * `iss`, `aud`, `sub`, `iat`, `nbf`, `exp`, `jti`, `tid`, `roles`, `knd` and (for API keys) `akid`,
 * exactly what `TokenVerifier` in @nomaly/platform-core requires. The key is passed per call so
 * rotation is the caller's choice of the current key, not state hidden here.
 */
export class TokenIssuer {
  readonly #options: Readonly<TokenIssuerOptions>;

  /** @throws Error when the issuer or audience is empty or the lifetime not a positive integer */
  constructor(options: TokenIssuerOptions) {
    if (options.issuer.length === 0) throw new Error('TokenIssuer: issuer must not be empty.');
    if (options.audience.length === 0) throw new Error('TokenIssuer: audience must not be empty.');
    if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
      throw new Error(
        `TokenIssuer: ttlSeconds must be a positive integer (got ${options.ttlSeconds}).`,
      );
    }
    this.#options = { ...options };
  }

  /**
   * Signs an access token valid from now (`iat` = `nbf`, whole seconds) for `ttlSeconds`.
   *
   * @throws Error when the claims are inconsistent (empty subject or tenant, an API-key token
   *   without `apiKeyId` or a user token with one) or the key is not an Ed25519 private JWK
   */
  async issue(
    signingKey: { kid: string; privateJwk: JWK },
    claims: AccessTokenClaims,
    /** Shortens the lifetime (never lengthens it), e.g. to end with the API key it came from. */
    maxTtlSeconds?: number,
  ): Promise<IssuedToken> {
    checkClaims(claims);
    if (signingKey.privateJwk.d === undefined) {
      throw new Error(`TokenIssuer: signing key '${signingKey.kid}' has no private part.`);
    }
    const key = await importJWK(signingKey.privateJwk, SIGNING_ALGORITHM);
    const { issuer, audience } = this.#options;
    const ttlSeconds = Math.max(
      1,
      Math.min(this.#options.ttlSeconds, Math.floor(maxTtlSeconds ?? Infinity)),
    );
    const now = Math.floor(Date.now() / 1000);
    const tokenId = randomUUID();
    const payload: Record<string, unknown> = {
      tid: claims.tenantId,
      roles: [...claims.roles],
      knd: claims.kind,
    };
    if (claims.apiKeyId !== undefined) payload['akid'] = claims.apiKeyId;
    const accessToken = await new SignJWT(payload)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signingKey.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(tokenId)
      .sign(key);
    return { accessToken, expiresIn: ttlSeconds, tokenId };
  }
}

function checkClaims({ subject, tenantId, roles, kind, apiKeyId }: AccessTokenClaims): void {
  if (subject.length === 0) throw new Error('TokenIssuer: subject must not be empty.');
  if (tenantId.length === 0) throw new Error('TokenIssuer: tenantId must not be empty.');
  if (roles.some((role) => typeof role !== 'string' || role.length === 0)) {
    throw new Error('TokenIssuer: roles must be non-empty strings.');
  }
  if (kind === 'api-key' && (apiKeyId === undefined || apiKeyId.length === 0)) {
    throw new Error("TokenIssuer: an 'api-key' token needs apiKeyId.");
  }
  if (kind === 'user' && apiKeyId !== undefined) {
    throw new Error("TokenIssuer: a 'user' token must not carry apiKeyId.");
  }
}

const REFRESH_TOKEN_PATTERN = /^nmrt_[A-Za-z0-9_-]{43}$/;

/**
 * Creates an opaque refresh token, `nmrt_<32 random bytes, base64url>`. Only `hash` (SHA-256 hex)
 * is stored, so a database leak yields no usable tokens; `token` goes to the client once.
 */
export function generateRefreshToken(): { token: string; hash: string } {
  const token = `nmrt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

/**
 * Checks the format of a presented refresh token and returns its hash for the lookup, or
 * `undefined` for anything malformed, so garbage never reaches the database.
 */
export function parseRefreshToken(token: string): { hash: string } | undefined {
  return REFRESH_TOKEN_PATTERN.test(token) ? { hash: hashRefreshToken(token) } : undefined;
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
