import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * What a new password must satisfy. Length only, as NIST SP 800-63B advises: composition rules
 * ("one digit, one symbol") make passwords weaker in practice, and the maximum exists only so that
 * nobody posts a megabyte as a password.
 */
export const PASSWORD_POLICY = {
  /** Minimum length in Unicode code points. */
  minLength: 12,
  /** Maximum length in Unicode code points. */
  maxLength: 256,
} as const;

/**
 * Returns what is wrong with `password` as a new password, or `undefined` when it is acceptable.
 * Lengths count code points after NFKC normalization (the form that is hashed), so an emoji counts
 * once and a composed and a decomposed "é" count the same.
 */
export function checkPasswordPolicy(password: string): string | undefined {
  const length = [...password.normalize('NFKC')].length;
  if (length < PASSWORD_POLICY.minLength) {
    return `Password must be at least ${PASSWORD_POLICY.minLength} characters long.`;
  }
  if (length > PASSWORD_POLICY.maxLength) {
    return `Password must be at most ${PASSWORD_POLICY.maxLength} characters long.`;
  }
  if (password.trim().length === 0) return 'Password must not be only whitespace.';
  return undefined;
}

/** scrypt cost parameters as written in the encoded hash. */
interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
}

/**
 * Parameters of new hashes: N = 2^15, r = 8 is 32 MiB and roughly 50–100 ms per hash, the OWASP
 * recommendation for scrypt. Raising them later only changes new hashes; old ones carry their own.
 */
const CURRENT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Bounds on parameters read back from storage: a corrupted or planted hash must not make one login
 * allocate gigabytes or run for minutes.
 */
const LIMITS = {
  ln: { min: 10, max: 20 },
  r: { min: 1, max: 32 },
  p: { min: 1, max: 16 },
  bytes: { min: 16, max: 64 },
  memory: 256 * 1024 * 1024,
} as const;

/**
 * Longest password (in UTF-16 code units) that is hashed at all: four times the policy maximum, so
 * every password the policy allows fits, and a huge request body is refused before any work.
 */
const MAX_PASSWORD_INPUT = 4 * PASSWORD_POLICY.maxLength;

const ENCODED_PATTERN =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Hashes a password with scrypt and a fresh 16-byte salt into a self-describing PHC-style string,
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (unpadded base64), that {@link verifyPassword} reads back.
 * The password is NFKC-normalized first, so the same characters typed on another keyboard or OS
 * still match.
 *
 * @throws RangeError when the password is absurdly long (callers check
 *   {@link checkPasswordPolicy} first)
 */
export async function hashPassword(password: string): Promise<string> {
  if (password.length > MAX_PASSWORD_INPUT) {
    throw new RangeError(`Password longer than ${MAX_PASSWORD_INPUT} code units is not hashed.`);
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, CURRENT_PARAMS);
  const { ln, r, p } = CURRENT_PARAMS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${encodeB64(salt)}$${encodeB64(key)}`;
}

/**
 * Whether `password` matches `encoded`, compared in constant time. An unknown scheme, a malformed
 * string or out-of-bounds parameters answer `false`: this runs on every login attempt and must
 * never turn bad input into an exception.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_INPUT) return false;
  const parsed = parseEncoded(encoded);
  if (parsed === undefined) return false;
  const actual = await deriveKey(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(actual, parsed.hash);
}

/**
 * Whether a stored hash was made with weaker parameters than new ones (or is unreadable), so the
 * caller can re-hash the password on the next successful login.
 */
export function passwordNeedsRehash(encoded: string): boolean {
  const parsed = parseEncoded(encoded);
  if (parsed === undefined) return true;
  const { ln, r, p } = parsed.params;
  return (
    ln < CURRENT_PARAMS.ln ||
    r < CURRENT_PARAMS.r ||
    p < CURRENT_PARAMS.p ||
    parsed.salt.length < SALT_BYTES ||
    parsed.hash.length < KEY_BYTES
  );
}

function parseEncoded(
  encoded: string,
): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const match = ENCODED_PATTERN.exec(encoded);
  if (match === null) return undefined;
  const [, lnText, rText, pText, saltText, hashText] = match;
  if (lnText === undefined || rText === undefined || pText === undefined) return undefined;
  const params = { ln: Number(lnText), r: Number(rText), p: Number(pText) };
  if (!inRange(params.ln, LIMITS.ln) || !inRange(params.r, LIMITS.r)) return undefined;
  if (!inRange(params.p, LIMITS.p)) return undefined;
  if (maxMemory(params) > LIMITS.memory) return undefined;
  const salt = decodeB64(saltText);
  const hash = decodeB64(hashText);
  if (salt === undefined || !inRange(salt.length, LIMITS.bytes)) return undefined;
  if (hash === undefined || !inRange(hash.length, LIMITS.bytes)) return undefined;
  return { params, salt, hash };
}

function deriveKey(
  password: string,
  salt: Buffer,
  keyLength: number,
  { ln, r, p }: ScryptParams,
): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** ln, r, p, maxmem: maxMemory({ ln, r, p }) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/**
 * The memory OpenSSL's scrypt checks against `maxmem`: 128·r·p for B plus 128·r·(N + 2) for V.
 * Node's default limit (32 MiB) is just below what N = 2^15, r = 8 needs, hence an explicit one.
 */
function maxMemory({ ln, r, p }: ScryptParams): number {
  return 128 * r * (2 ** ln + p + 2);
}

function inRange(value: number, { min, max }: { min: number; max: number }): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function encodeB64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Decodes unpadded base64, refusing non-canonical text (Node's decoder silently drops bits). */
function decodeB64(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return encodeB64(bytes) === text ? bytes : undefined;
}
