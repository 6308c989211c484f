import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PASSWORD_POLICY,
  checkPasswordPolicy,
  hashPassword,
  passwordNeedsRehash,
  verifyPassword,
} from './passwords.js';

const PASSWORD = 'correct horse battery staple';

/** Encodes a hash made with explicit parameters, as an older (or future) version would have. */
function encodeWith(password: string, ln: number, r: number, p: number): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 2 ** ln, r, p, maxmem: 256 * 1024 * 1024 });
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

describe(hashPassword.name, () => {
  it('encodes scrypt parameters, a 16-byte salt and a 32-byte key in a PHC-style string', async () => {
    const encoded = await hashPassword(PASSWORD);
    const match = /^\$scrypt\$ln=15,r=8,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
    expect(match).not.toBeNull();
    expect(Buffer.from(match?.[1] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(match?.[2] ?? '', 'base64')).toHaveLength(32);
  });

  it('salts every hash differently, so equal passwords give different strings', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[3]).not.toBe(b.split('$')[3]);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it('refuses an absurdly long input instead of hashing it', async () => {
    await expect(hashPassword('x'.repeat(4 * PASSWORD_POLICY.maxLength + 1))).rejects.toThrow(
      RangeError,
    );
  });
});

describe(verifyPassword.name, () => {
  it('accepts the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('matches composed and decomposed forms of the same characters (NFKC)', async () => {
    const composed = 'caf\u00e9 au lait, s\u2019il vous pla\u00eet';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('reads the cost parameters from the encoded string, so older hashes keep working', async () => {
    const older = encodeWith(PASSWORD, 14, 8, 1);
    expect(await verifyPassword(PASSWORD, older)).toBe(true);
    expect(await verifyPassword('not the password', older)).toBe(false);
  });

  it('answers false, never throws, for unknown schemes and malformed encodings', async () => {
    const valid = await hashPassword(PASSWORD);
    const [, , params = '', salt = '', hash = ''] = valid.split('$');
    const malformed = [
      '',
      PASSWORD,
      '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      `$scrypt$${params}$${salt}`,
      `$scrypt$${params}$${salt}$${hash}$extra`,
      `$scrypt$r=8,ln=15,p=1$${salt}$${hash}`,
      `$scrypt$ln=15,r=8,p=1$${salt}$${hash}==`,
      `$scrypt$ln=15,r=8,p=1$${salt}$${hash.slice(0, -1)}`,
      `$scrypt$ln=15,r=8,p=1$!!!$${hash}`,
      `$scrypt$ln=15,r=8,p=1$${Buffer.alloc(8).toString('base64')}$${hash}`,
      `$scrypt$ln=99,r=8,p=1$${salt}$${hash}`,
      `$scrypt$ln=20,r=32,p=1$${salt}$${hash}`,
      `$scrypt$ln=15,r=0,p=1$${salt}$${hash}`,
      `$SCRYPT$${params}$${salt}$${hash}`,
      ` ${valid}`,
    ];
    for (const encoded of malformed) {
      await expect(verifyPassword(PASSWORD, encoded), encoded).resolves.toBe(false);
    }
  });

  it('answers false for an absurdly long input without hashing it', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword('x'.repeat(100_000), encoded)).toBe(false);
  });
});

describe(passwordNeedsRehash.name, () => {
  it('flags hashes weaker than the current parameters and unreadable ones', async () => {
    expect(passwordNeedsRehash(await hashPassword(PASSWORD))).toBe(false);
    expect(passwordNeedsRehash(encodeWith(PASSWORD, 14, 8, 1))).toBe(true);
    expect(passwordNeedsRehash('$bcrypt$whatever')).toBe(true);
  });
});

describe(checkPasswordPolicy.name, () => {
  it('accepts lengths from the minimum to the maximum', () => {
    expect(checkPasswordPolicy('a'.repeat(PASSWORD_POLICY.minLength))).toBeUndefined();
    expect(checkPasswordPolicy('a'.repeat(PASSWORD_POLICY.maxLength))).toBeUndefined();
    expect(checkPasswordPolicy(PASSWORD)).toBeUndefined();
  });

  it('names the problem of a too short or too long password', () => {
    expect(checkPasswordPolicy('a'.repeat(PASSWORD_POLICY.minLength - 1))).toMatch(
      /at least 12 characters/,
    );
    expect(checkPasswordPolicy('a'.repeat(PASSWORD_POLICY.maxLength + 1))).toMatch(
      /at most 256 characters/,
    );
  });

  it('counts code points, not UTF-16 units', () => {
    const eleven = '\u{1F511}'.repeat(11);
    expect(eleven.length).toBe(22);
    expect(checkPasswordPolicy(eleven)).toMatch(/at least/);
    expect(checkPasswordPolicy('\u{1F511}'.repeat(12))).toBeUndefined();
  });

  it('rejects a password of only whitespace', () => {
    expect(checkPasswordPolicy(' '.repeat(20))).toMatch(/whitespace/);
  });
});
