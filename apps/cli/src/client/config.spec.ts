import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, ExitCode } from '../cli-error.js';
import {
  configPath,
  normalizeUrl,
  readConfig,
  removeConfig,
  requestTimeoutMs,
  resolveTarget,
  writeConfig,
} from './config.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
  throw new Error('expected an error');
}

describe('configPath', () => {
  it('is $XDG_CONFIG_HOME/nomaly/config.json when XDG_CONFIG_HOME is absolute', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/etc/xdg-test' })).toBe(
      '/etc/xdg-test/nomaly/config.json',
    );
  });

  it('is ~/.config/nomaly/config.json otherwise (a relative XDG_CONFIG_HOME is ignored)', () => {
    const fallback = join(homedir(), '.config', 'nomaly', 'config.json');
    expect(configPath({})).toBe(fallback);
    expect(configPath({ XDG_CONFIG_HOME: '' })).toBe(fallback);
    expect(configPath({ XDG_CONFIG_HOME: 'relative/dir' })).toBe(fallback);
  });
});

describe('writeConfig and readConfig', () => {
  let dir: string;
  let file: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nomaly-config-'));
    file = join(dir, 'xdg', 'nomaly', 'config.json');
    // The most permissive umask: whatever mode ends up on disk is the code's doing.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('writes the file 0600 in a folder 0700, and reads back what it wrote', () => {
    writeConfig(file, { url: 'http://localhost:8080', apiKey: 'nmly_abc' });
    expect(mode(file)).toBe(0o600);
    expect(mode(dirname(file))).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      url: 'http://localhost:8080',
      apiKey: 'nmly_abc',
    });
    const warnings: string[] = [];
    expect(readConfig(file, (w) => warnings.push(w))).toEqual({
      url: 'http://localhost:8080',
      apiKey: 'nmly_abc',
    });
    expect(warnings).toEqual([]);
  });

  it('narrows an existing wider file and folder on the next write', () => {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, '{}', { mode: 0o644 });
    chmodSync(dirname(file), 0o755);
    writeConfig(file, { url: 'https://nomaly.example.com', apiKey: 'nmly_new' });
    expect(mode(file)).toBe(0o600);
    expect(mode(dirname(file))).toBe(0o700);
    expect(readConfig(file, () => undefined)?.apiKey).toBe('nmly_new');
  });

  it('warns when the stored key is readable by others', () => {
    writeConfig(file, { url: 'http://localhost:8080', apiKey: 'nmly_abc' });
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    readConfig(file, (w) => warnings.push(w));
    expect(warnings).toEqual([expect.stringContaining(`chmod 600 ${file}`)]);
  });

  it('reads no file as no configuration, and removes it once', () => {
    expect(readConfig(file, () => undefined)).toBeUndefined();
    writeConfig(file, { url: 'http://localhost:8080', apiKey: 'k' });
    expect(removeConfig(file)).toBe(true);
    expect(removeConfig(file)).toBe(false);
  });

  it('refuses malformed content, naming the file and the field (exit 2)', () => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{not json', { mode: 0o600 });
    const notJson = thrown(() => readConfig(file, () => undefined));
    expect(notJson.exitCode).toBe(ExitCode.Usage);
    expect(notJson.message).toContain(`${file} is not valid JSON`);
    writeFileSync(file, JSON.stringify({ url: 'http://x:1' }));
    expect(thrown(() => readConfig(file, () => undefined)).message).toContain(
      `${file}: field 'apiKey' must be a non-empty string`,
    );
    writeFileSync(file, JSON.stringify({ url: 'ftp://x', apiKey: 'k' }));
    expect(thrown(() => readConfig(file, () => undefined)).message).toContain(
      "field 'url': 'ftp://x' must start with http:// or https://",
    );
  });
});

describe('resolveTarget', () => {
  let xdg: string;
  beforeEach(() => {
    xdg = mkdtempSync(join(tmpdir(), 'nomaly-target-'));
  });

  it('uses the stored URL and key, each overridden by NOMALY_URL and NOMALY_API_KEY', () => {
    const file = join(xdg, 'nomaly', 'config.json');
    writeConfig(file, { url: 'http://stored:8080', apiKey: 'stored-key' });
    const env = { XDG_CONFIG_HOME: xdg };
    expect(resolveTarget(() => undefined, env)).toMatchObject({
      url: 'http://stored:8080',
      apiKey: 'stored-key',
      urlFrom: 'config',
      apiKeyFrom: 'config',
      configFile: file,
    });
    expect(
      resolveTarget(() => undefined, { ...env, NOMALY_URL: 'https://other.example/' }),
    ).toMatchObject({ url: 'https://other.example', apiKey: 'stored-key', urlFrom: 'NOMALY_URL' });
    expect(resolveTarget(() => undefined, { ...env, NOMALY_API_KEY: 'env-key' })).toMatchObject({
      url: 'http://stored:8080',
      apiKey: 'env-key',
      apiKeyFrom: 'NOMALY_API_KEY',
    });
  });

  it('needs no file when both variables are set', () => {
    expect(
      resolveTarget(() => undefined, {
        XDG_CONFIG_HOME: xdg,
        NOMALY_URL: 'http://127.0.0.1:9',
        NOMALY_API_KEY: 'k',
      }),
    ).toMatchObject({ url: 'http://127.0.0.1:9', apiKey: 'k' });
  });

  it('is an auth error (exit 5) naming the remedy when there is neither', () => {
    const error = thrown(() => resolveTarget(() => undefined, { XDG_CONFIG_HOME: xdg }));
    expect(error.exitCode).toBe(ExitCode.Auth);
    expect(error.message).toMatch(/^not logged in: run nomaly login URL/);
    expect(error.message).toContain('NOMALY_URL and NOMALY_API_KEY');
  });
});

describe('normalizeUrl', () => {
  it('keeps http(s) URLs without a trailing slash, path prefix included', () => {
    expect(normalizeUrl('http://localhost:8080/', 'x')).toBe('http://localhost:8080');
    expect(normalizeUrl('https://api.example.com/nomaly//', 'x')).toBe(
      'https://api.example.com/nomaly',
    );
  });

  it('refuses what is not one, naming where it came from', () => {
    expect(thrown(() => normalizeUrl('localhost:8080', 'login URL')).message).toMatch(
      /^login URL: 'localhost:8080' must start with http:\/\/ or https:\/\//,
    );
    expect(thrown(() => normalizeUrl('not a url', 'NOMALY_URL')).message).toMatch(
      /^NOMALY_URL: 'not a url' is not a URL/,
    );
    expect(thrown(() => normalizeUrl('http://h/?a=1', 'x')).message).toMatch(/query/);
  });
});

describe('requestTimeoutMs', () => {
  it('is the fallback unless NOMALY_TIMEOUT (seconds) is set', () => {
    expect(requestTimeoutMs(60, {})).toBe(60_000);
    expect(requestTimeoutMs(300, {})).toBe(300_000);
    expect(requestTimeoutMs(60, { NOMALY_TIMEOUT: '2.5' })).toBe(2_500);
  });

  it('refuses a value that is not a positive number', () => {
    for (const text of ['0', '-1', 'soon']) {
      expect(thrown(() => requestTimeoutMs(60, { NOMALY_TIMEOUT: text })).message).toContain(
        `NOMALY_TIMEOUT must be a positive number of seconds, got '${text}'`,
      );
    }
  });
});
