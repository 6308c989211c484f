import { Inject, Injectable } from '@nestjs/common';
import { ServiceError, type Principal, type Role } from '@nomaly/platform-core';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { AuthConfig } from '../config.js';
import {
  generateRefreshToken,
  hashPassword,
  parseRefreshToken,
  TokenIssuer,
  verifyPassword,
} from '../crypto/index.js';
import { RefreshTokenEntity, UserEntity } from '../persistence/index.js';
import { SigningKeyService } from '../signing-keys/signing-key.service.js';
import type { TokenResponseDto } from './token.dto.js';

const INVALID_CREDENTIALS = 'The e-mail or password is not valid.';
const INVALID_REFRESH = 'The refresh token is not valid.';

/** Exchanges credentials (an API key, a password, a refresh token) for short-lived JWTs. */
@Injectable()
export class TokenService {
  private readonly issuer: TokenIssuer;
  /** Verified against when the e-mail is unknown, so both failures take the same time. */
  private readonly dummyHash: Promise<string>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: AuthConfig,
    private readonly database: Database,
    private readonly apiKeys: ApiKeyService,
    private readonly signingKeys: SigningKeyService,
  ) {
    this.issuer = new TokenIssuer({
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    });
    this.dummyHash = hashPassword('nomaly-timing-equaliser-password');
  }

  async exchangeApiKey(key: string): Promise<TokenResponseDto> {
    const verified = await this.apiKeys.verify(key);
    // An access token never outlives the key it came from.
    const remaining =
      verified.expiresAt === null
        ? undefined
        : Math.floor((verified.expiresAt.getTime() - Date.now()) / 1000);
    const issued = await this.issuer.issue(
      await this.signingKeys.activeKey(),
      {
        subject: `apikey:${verified.id}`,
        tenantId: verified.tenantId,
        roles: verified.roles,
        kind: 'api-key',
        apiKeyId: verified.id,
      },
      remaining,
    );
    return { accessToken: issued.accessToken, tokenType: 'Bearer', expiresIn: issued.expiresIn };
  }

  async login(email: string, password: string): Promise<TokenResponseDto> {
    const user = await this.database.dataSource
      .getRepository(UserEntity)
      .findOneBy({ email: email.trim().toLowerCase() });
    const valid = await verifyPassword(password, user?.passwordHash ?? (await this.dummyHash));
    if (user === null || !valid || user.disabled) {
      throw new ServiceError('UNAUTHENTICATED', INVALID_CREDENTIALS);
    }
    return this.issueForUser(user);
  }

  /** Single use: the presented token is consumed and a new one returned with the access token. */
  async refresh(token: string): Promise<TokenResponseDto> {
    const parsed = parseRefreshToken(token);
    if (parsed === undefined) throw new ServiceError('UNAUTHENTICATED', INVALID_REFRESH);
    const rows = await this.database.dataSource.query<[Array<{ user_id: string }>, number]>(
      `UPDATE refresh_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [parsed.hash],
    );
    const userId = rows[0][0]?.user_id;
    const user =
      userId === undefined
        ? null
        : await this.database.dataSource.getRepository(UserEntity).findOneBy({ id: userId });
    if (user === null || user.disabled) throw new ServiceError('UNAUTHENTICATED', INVALID_REFRESH);
    return this.issueForUser(user);
  }

  /** What the caller's token says, for `GET /me`. */
  describe(principal: Principal): {
    subject: string;
    tenantId: string;
    roles: Role[];
    kind: Principal['kind'];
    apiKeyId?: string;
  } {
    return {
      subject: principal.subject,
      tenantId: principal.tenantId,
      roles: principal.roles,
      kind: principal.kind,
      ...(principal.apiKeyId === undefined ? {} : { apiKeyId: principal.apiKeyId }),
    };
  }

  private async issueForUser(user: UserEntity): Promise<TokenResponseDto> {
    const issued = await this.issuer.issue(await this.signingKeys.activeKey(), {
      subject: user.id,
      tenantId: user.tenantId,
      roles: user.roles,
      kind: 'user',
    });
    const refresh = generateRefreshToken();
    await this.database.dataSource.getRepository(RefreshTokenEntity).insert({
      tenantId: user.tenantId,
      userId: user.id,
      tokenHash: refresh.hash,
      expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000),
      usedAt: null,
    });
    return {
      accessToken: issued.accessToken,
      tokenType: 'Bearer',
      expiresIn: issued.expiresIn,
      refreshToken: refresh.token,
    };
  }
}
