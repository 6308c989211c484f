import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ServiceError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import { ROLES } from './roles.js';
import type { Principal } from './roles.js';

/**
 * The claims of a Nomaly access token. The auth-service issues exactly these; every service
 * verifies them with {@link TokenVerifier}.
 *
 * | claim   | meaning                                                              |
 * |---------|----------------------------------------------------------------------|
 * | `iss`   | the auth-service's issuer URL                                        |
 * | `aud`   | the platform audience (one for all services behind the gateway)      |
 * | `sub`   | the user id (for an API key: the id of the user who owns it)         |
 * | `exp`   | expiry, seconds since the epoch; tokens are short-lived              |
 * | `iat`   | issue time, seconds since the epoch                                  |
 * | `nbf`   | optional: not valid before, seconds since the epoch                  |
 * | `jti`   | unique token id, for audit and revocation                            |
 * | `tid`   | tenant id; every query is scoped by it                               |
 * | `roles` | the subject's roles, each one of {@link ROLES}                       |
 * | `knd`   | `user` (a person signed in) or `api-key` (exchanged at /auth/token)  |
 * | `akid`  | the API key id; present exactly when `knd` is `api-key`              |
 *
 * The header carries `alg` (EdDSA unless configured otherwise) and the `kid` of a key in the
 * auth-service's JWKS.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti: string;
  readonly tid: string;
  readonly roles: readonly (typeof ROLES)[number][];
  readonly knd: 'user' | 'api-key';
  readonly akid?: string;
}

/** Asymmetric algorithms only: a shared secret would let every service mint tokens. */
export type TokenAlgorithm = 'EdDSA' | 'RS256' | 'ES256';

/** Where the verification keys come from. */
export type TokenKeySource =
  | {
      /** The auth-service's JWKS endpoint. */
      readonly jwksUrl: string;
      /** How long a fetched key set is trusted before it is fetched again. Default 10 min. */
      readonly cacheMaxAgeMs?: number;
      /**
       * After a fetch, how long a token with an unknown `kid` is rejected without fetching again,
       * so a flood of forged `kid`s cannot make us hammer the endpoint. Default 30 s.
       */
      readonly cooldownMs?: number;
      /** Fetch timeout. Default 5 s. */
      readonly timeoutMs?: number;
    }
  | {
      /** The key set in process (the auth-service verifying its own tokens, tests). */
      readonly local: () => Promise<JSONWebKeySet> | JSONWebKeySet;
    };

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The algorithms accepted, pinned (never read from the token). Default `['EdDSA']`. */
  readonly algorithms?: readonly TokenAlgorithm[];
  readonly keys: TokenKeySource;
  /** Allowed clock skew for `exp`, `nbf`. Default 30 s. */
  readonly clockToleranceSeconds?: number;
  /** Receives why a token was rejected, at debug, and key-source failures, at warn. */
  readonly logger?: Logger;
}

/** The one answer to every bad token: which check failed is logged, never told. */
export const INVALID_TOKEN_MESSAGE = 'invalid or expired access token';

/** Longer than any token we issue; refusing early bounds the work an attacker can cause. */
const MAX_TOKEN_LENGTH = 8_192;

const claimsSchema = z
  .object({
    sub: z.string().min(1),
    jti: z.string().min(1),
    tid: z.string().min(1),
    roles: z.array(z.enum(ROLES)),
    knd: z.enum(['user', 'api-key']),
    akid: z.string().min(1).optional(),
  })
  .refine((claims) => (claims.knd === 'api-key') === (claims.akid !== undefined), {
    message: 'akid must be present exactly when knd is api-key',
  });

/** The key source, not the token, failed: the JWKS endpoint is down or answers nonsense. */
class KeySourceUnavailable extends Error {
  constructor(cause: unknown) {
    super('verification keys unavailable', { cause });
  }
}

/**
 * Verifies Nomaly access tokens (see {@link AccessTokenClaims}) with `jose`.
 *
 * Every rejected token — missing, malformed, forged, `alg: none`, HS256 signed with the public
 * key, expired, for another audience or issuer, signed by an unknown key, missing a claim —
 * fails with the same `ServiceError('UNAUTHENTICATED', 'invalid or expired access token')`, so
 * the answer tells a prober nothing. When the keys cannot be fetched it fails with
 * `DEPENDENCY_UNAVAILABLE` instead: the service, not the token, is at fault, and a client should
 * retry rather than sign in again. A key set fetched earlier keeps verifying tokens while a
 * refresh fails, so a short auth-service outage does not sign everyone out.
 */
export class TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;

  constructor(private readonly options: TokenVerifierOptions) {
    this.getKey =
      'jwksUrl' in options.keys
        ? remoteKeys(options.keys, options.logger)
        : localKeys(options.keys.local);
  }

  /**
   * Returns the principal of a valid token. `undefined` (no `Authorization` header, see
   * {@link extractBearer}) is rejected like any bad token.
   *
   * @throws ServiceError `UNAUTHENTICATED` for any bad token, `DEPENDENCY_UNAVAILABLE` when the
   * keys cannot be fetched.
   */
  async verify(token: string | undefined): Promise<Principal> {
    if (token === undefined || token.length === 0) throw this.reject('no token');
    if (token.length > MAX_TOKEN_LENGTH) throw this.reject('token too long');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [...(this.options.algorithms ?? ['EdDSA'])],
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof KeySourceUnavailable) {
        this.options.logger?.warn({ err: error.cause }, 'cannot fetch the token verification keys');
        throw new ServiceError(
          'DEPENDENCY_UNAVAILABLE',
          'access tokens cannot be verified right now; retry shortly',
          { cause: error.cause },
        );
      }
      throw this.reject(
        error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : 'not a JWT',
        error,
      );
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success)
      throw this.reject(
        `claims: ${claims.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
      );
    const { sub, tid, roles, knd, jti, akid } = claims.data;
    return {
      subject: sub,
      tenantId: tid,
      roles: [...new Set(roles)],
      kind: knd,
      tokenId: jti,
      ...(akid === undefined ? {} : { apiKeyId: akid }),
    };
  }

  private reject(reason: string, cause?: unknown): ServiceError {
    this.options.logger?.debug({ reason }, 'access token rejected');
    return new ServiceError('UNAUTHENTICATED', INVALID_TOKEN_MESSAGE, { cause });
  }
}

/**
 * Reads `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1);
 * undefined when the header is absent or of another scheme.
 */
export function extractBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  return match?.[1];
}

/** Errors that mean "this token names no usable key", as opposed to "the keys are unreachable". */
function isTokenFault(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  );
}

function remoteKeys(
  source: Extract<TokenKeySource, { jwksUrl: string }>,
  logger: Logger | undefined,
): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(source.jwksUrl), {
    ...(source.cacheMaxAgeMs === undefined ? {} : { cacheMaxAge: source.cacheMaxAgeMs }),
    ...(source.cooldownMs === undefined ? {} : { cooldownDuration: source.cooldownMs }),
    ...(source.timeoutMs === undefined ? {} : { timeoutDuration: source.timeoutMs }),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenFault(error)) throw error;
      // The refresh failed: keep trusting the last key set fetched, if it knows this key.
      const stale = remote.jwks();
      if (stale !== undefined) {
        try {
          const key = await createLocalJWKSet(stale)(header, token);
          logger?.warn({ err: error }, 'JWKS refresh failed; verifying with the previous key set');
          return key;
        } catch {
          // no usable key in the old set either: the outage decides
        }
      }
      throw new KeySourceUnavailable(error);
    }
  };
}

/** Reads the set on each verification (rotation is seen at once), re-importing only on change. */
function localKeys(read: () => Promise<JSONWebKeySet> | JSONWebKeySet): JWTVerifyGetKey {
  let lastSet: JSONWebKeySet | undefined;
  let lastKeys: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    let keys = lastKeys;
    try {
      const set = await read();
      if (set !== lastSet || keys === undefined) {
        keys = createLocalJWKSet(set);
        lastSet = set;
        lastKeys = keys;
      }
    } catch (error) {
      throw new KeySourceUnavailable(error);
    }
    return keys(header, token);
  };
}
