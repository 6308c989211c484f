import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import type { JSONWebKeySet, JWK } from 'jose';
import { IsNull } from 'typeorm';
import { encryptionSecret, type AuthConfig } from '../config.js';
import { generateSigningKey, SecretBox, toPublicJwks } from '../crypto/index.js';
import { SigningKeyEntity } from '../persistence/index.js';

/**
 * How long keys read from the database are reused. Short, because it bounds how long another
 * replica takes to accept tokens signed with a key rotated in elsewhere; one indexed read of a
 * handful of rows every few seconds costs nothing.
 */
const KEY_CACHE_MS = 5_000;

type Query = (sql: string, parameters: unknown[]) => Promise<unknown>;

interface ActiveKey {
  readonly kid: string;
  readonly privateJwk: JWK;
}

/**
 * The token signing keys: the newest unretired key signs; every unretired key is published in
 * the JWKS. Rotation adds a key and retires keys older than the newest by more than the access
 * token lifetime, so a token is verifiable for its whole life across a rotation (overlap).
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly box: SecretBox;
  private cached: { at: number; keys: SigningKeyEntity[] } | undefined;

  constructor(
    private readonly database: Database,
    @Inject(PLATFORM_CONFIG) private readonly config: AuthConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
  ) {
    this.box = new SecretBox(encryptionSecret(config), 'nomaly-auth-signing-keys');
  }

  async onModuleInit(): Promise<void> {
    await this.rotateIfDue();
  }

  /** The key that signs new tokens. */
  async activeKey(): Promise<ActiveKey> {
    const keys = await this.keys();
    const newest = keys[0] ?? (await this.rotateAndReload());
    return {
      kid: newest.kid,
      privateJwk: JSON.parse(this.box.open(newest.privateJwkSealed)) as JWK,
    };
  }

  /** The public JWKS: every key whose tokens may still be in circulation. */
  async jwks(): Promise<JSONWebKeySet> {
    return toPublicJwks(await this.keys());
  }

  /**
   * Makes a new signing key now (the `keys rotate` command); the previous key stays published
   * until the tokens it signed have expired.
   */
  async rotate(): Promise<string> {
    return this.locked(async (query) => {
      const kid = await this.createKey(query);
      await this.retireReplaced(query);
      return kid;
    });
  }

  /**
   * Retires a key once its successor is older than one token lifetime (plus clock skew): every
   * token it signed has expired by then, so it can leave the JWKS.
   */
  private async retireReplaced(query: Query): Promise<void> {
    await query(
      `UPDATE signing_keys k SET retired_at = now()
        WHERE k.retired_at IS NULL
          AND EXISTS (SELECT 1 FROM signing_keys j
                       WHERE j.created_at > k.created_at
                         AND j.created_at < now() - make_interval(secs => $1))`,
      [this.config.ACCESS_TOKEN_TTL_SECONDS + 60],
    );
  }

  /** Rotates when there is no key or the newest is older than `SIGNING_KEY_ROTATION_DAYS`. */
  async rotateIfDue(): Promise<string | undefined> {
    return this.locked(async (query) => {
      const rows = (await query(
        `SELECT coalesce(max(created_at) < now() - make_interval(days => $1), true) AS due
           FROM signing_keys WHERE retired_at IS NULL`,
        [this.config.SIGNING_KEY_ROTATION_DAYS],
      )) as Array<{ due: boolean }>;
      const kid = rows[0]?.due === true ? await this.createKey(query) : undefined;
      await this.retireReplaced(query);
      return kid;
    });
  }

  /** Serialises rotations across replicas (two booting replicas must not both rotate). */
  private async locked<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const result = await this.database.dataSource.transaction(async (manager) => {
      const query: Query = (sql, parameters) => manager.query(sql, parameters);
      await query(`SELECT pg_advisory_xact_lock(hashtext('nomaly-auth-signing-keys'))`, []);
      return work(query);
    });
    this.cached = undefined;
    return result;
  }

  private async createKey(query: Query): Promise<string> {
    const key = await generateSigningKey();
    await query(
      `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_jwk_sealed) VALUES ($1, $2, $3, $4)`,
      [
        key.kid,
        key.algorithm,
        JSON.stringify(key.publicJwk),
        this.box.seal(JSON.stringify(key.privateJwk)),
      ],
    );
    this.logger.info({ kid: key.kid }, 'signing key created');
    return key.kid;
  }

  private async rotateAndReload(): Promise<SigningKeyEntity> {
    await this.rotate();
    const newest = (await this.keys())[0];
    if (newest === undefined) throw new Error('no signing key after rotation');
    return newest;
  }

  private async keys(): Promise<SigningKeyEntity[]> {
    if (this.cached !== undefined && Date.now() - this.cached.at < KEY_CACHE_MS) {
      return this.cached.keys;
    }
    const keys = await this.database.dataSource
      .getRepository(SigningKeyEntity)
      .find({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    this.cached = { at: Date.now(), keys };
    return keys;
  }
}
