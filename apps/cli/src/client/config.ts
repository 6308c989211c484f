import {
  chmodSync,
  closeSync,
  fchmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError, ExitCode, usageError } from '../cli-error.js';

/**
 * Where `nomaly login` keeps the API URL and key, and how the environment overrides them. This
 * is the only module of the client that reads `process.env`, so every setting has one name and
 * one place.
 */

/** What `nomaly login` stores. */
export interface StoredConfig {
  url: string;
  apiKey: string;
}

/** The API a command talks to, and where each half of it came from (for messages). */
export interface Target extends StoredConfig {
  urlFrom: 'NOMALY_URL' | 'config';
  apiKeyFrom: 'NOMALY_API_KEY' | 'config';
  configFile: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Calls other than uploads and detection batches: a small JSON answer is due quickly. */
const DEFAULT_TIMEOUT_S = 60;

/**
 * `$XDG_CONFIG_HOME/nomaly/config.json`, or `~/.config/nomaly/config.json`. A relative
 * XDG_CONFIG_HOME is ignored, as the XDG Base Directory specification requires.
 */
export function configPath(env: Env = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base =
    xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'nomaly', 'config.json');
}

/**
 * An API base URL as typed by a user: http(s) only, without a trailing slash, so paths can be
 * appended. `where` names the source in the message (`login URL`, `NOMALY_URL`, the file).
 */
export function normalizeUrl(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${where}: '${text}' is not a URL; expected e.g. http://localhost:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${where}: '${text}' must start with http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw usageError(`${where}: '${text}' must not carry a query or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The stored configuration, or undefined when there is none. Malformed content is an error. */
export function readConfig(path: string, warn: (line: string) => void): StoredConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  // A key others can read is a leaked key; say so rather than refuse, since the user may be on
  // a file system without modes (and the key works either way).
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(
      `warning: ${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError(`${path} is not valid JSON (${(e as Error).message}); run nomaly login again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(`${path} must hold a JSON object {"url","apiKey"}; run nomaly login again`);
  }
  const record = parsed as Record<string, unknown>;
  for (const field of ['url', 'apiKey'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      throw usageError(`${path}: field '${field}' must be a non-empty string; run nomaly login`);
    }
  }
  return {
    url: normalizeUrl(record.url as string, `${path}: field 'url'`),
    apiKey: record.apiKey as string,
  };
}

/**
 * Writes the configuration readable by its owner only: the folder 0700, the file 0600, written
 * to a temporary file of that mode and renamed over the old one, so no reader ever sees half a
 * file and the key is never in a file of wider mode, whatever the umask.
 */
export function writeConfig(path: string, config: StoredConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${JSON.stringify(config, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Removes the stored configuration; false when there was none. */
export function removeConfig(path: string): boolean {
  try {
    statSync(path);
  } catch {
    return false;
  }
  rmSync(path);
  return true;
}

/**
 * The API to talk to: `NOMALY_URL` and `NOMALY_API_KEY` each override the stored value. No URL
 * or no key is an auth error (exit 5): the remedy is `nomaly login`.
 */
export function resolveTarget(warn: (line: string) => void, env: Env = process.env): Target {
  const configFile = configPath(env);
  const envUrl = env.NOMALY_URL !== undefined && env.NOMALY_URL !== '' ? env.NOMALY_URL : undefined;
  const envKey =
    env.NOMALY_API_KEY !== undefined && env.NOMALY_API_KEY !== '' ? env.NOMALY_API_KEY : undefined;
  const stored =
    envUrl !== undefined && envKey !== undefined ? undefined : readConfig(configFile, warn);
  const url = envUrl === undefined ? stored?.url : normalizeUrl(envUrl, 'NOMALY_URL');
  const apiKey = envKey ?? stored?.apiKey;
  if (url === undefined || apiKey === undefined) {
    throw new CliError(
      `not logged in: run nomaly login URL (no ${configFile}), or set NOMALY_URL and NOMALY_API_KEY`,
      ExitCode.Auth,
    );
  }
  return {
    url,
    apiKey,
    urlFrom: envUrl === undefined ? 'config' : 'NOMALY_URL',
    apiKeyFrom: envKey === undefined ? 'config' : 'NOMALY_API_KEY',
    configFile,
  };
}

/**
 * How long one request may take, in milliseconds: `NOMALY_TIMEOUT` (seconds) when set, else
 * `fallbackSeconds` (60 for small calls; uploads and detection batches pass more).
 */
export function requestTimeoutMs(
  fallbackSeconds: number = DEFAULT_TIMEOUT_S,
  env: Env = process.env,
): number {
  const text = env.NOMALY_TIMEOUT;
  if (text === undefined || text === '') return fallbackSeconds * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw usageError(`NOMALY_TIMEOUT must be a positive number of seconds, got '${text}'`);
  }
  return Math.round(seconds * 1000);
}
