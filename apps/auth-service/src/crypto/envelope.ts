import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/** Shortest master secret accepted, as the deployment guide asks of `API_KEYS_ENCRYPTION_KEY`. */
export const MIN_MASTER_SECRET_LENGTH = 32;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Fixed HKDF salt: it separates Nomaly's derivations from any other use of the same secret (the
 * per-purpose separation comes from `context`, passed as HKDF `info`).
 */
const HKDF_SALT = 'nomaly/secret-box';
const SEALED_PATTERN = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]*)$/;

/**
 * Authenticated encryption of small secrets at rest (signing private keys), AES-256-GCM under a
 * key derived by HKDF-SHA256 from a master secret and a context string. The context gives each use
 * its own key: a value sealed for one context does not open in another. Sealed values read
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), the version leaving room to change the scheme later.
 *
 * A random 96-bit IV per value is safe for far more values than this will ever seal (NIST's bound
 * for random IVs under one key is 2^32).
 *
 * @example
 * const box = new SecretBox(config.apiKeysEncryptionKey, 'auth/signing-keys');
 * const stored = box.seal(JSON.stringify(privateJwk));
 * const privateJwk = JSON.parse(box.open(stored));
 */
export class SecretBox {
  /** The derived key only; the master secret is not kept. */
  readonly #key: KeyObject;

  /**
   * @param masterSecret the master secret (`API_KEYS_ENCRYPTION_KEY`), at least 32 characters
   * @param context what the values are for (e.g. `'auth/signing-keys'`); not secret, but fixed:
   *   changing it makes every sealed value unreadable
   * @throws Error when the master secret is too short or the context empty
   */
  constructor(masterSecret: string, context: string) {
    if (masterSecret.length < MIN_MASTER_SECRET_LENGTH) {
      throw new Error(
        `SecretBox: the master secret must be at least ${MIN_MASTER_SECRET_LENGTH} characters (got ${masterSecret.length}).`,
      );
    }
    if (context.length === 0) throw new Error('SecretBox: the context must not be empty.');
    const key = hkdfSync('sha256', masterSecret, HKDF_SALT, context, 32);
    this.#key = createSecretKey(Buffer.from(key));
  }

  /** Encrypts and authenticates `plaintext` (UTF-8) with a fresh random IV. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /**
   * Decrypts a value made by {@link seal}.
   *
   * @throws Error when the value is malformed, was sealed with another master secret or context,
   *   or was altered in any way
   */
  open(sealed: string): string {
    const match = SEALED_PATTERN.exec(sealed);
    if (match === null) {
      throw new Error(`SecretBox: not a sealed ${VERSION} value (expected v1.<iv>.<tag>.<data>).`);
    }
    const [iv, tag, ciphertext] = match.slice(1).map(decodeCanonical);
    if (iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('SecretBox: the sealed value is not canonical base64url; it was altered.');
    }
    // The tag length is pinned: GCM would otherwise accept a truncated tag, easier to forge.
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    const data = decipher.update(ciphertext);
    try {
      return Buffer.concat([data, decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        'SecretBox: authentication failed; the value was sealed with another master secret or context, or was altered.',
      );
    }
  }
}

/**
 * Decodes base64url only in its canonical form: Node ignores the unused low bits of the last
 * character, so without this check an altered character could still open.
 */
function decodeCanonical(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
