import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './run-cli.js';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'nomaly.js');

/** Every run is killed after this long, so a hung command fails its test instead of the suite. */
const RUN_BOUND_MS = 60_000;

export interface RunOptions {
  /** The environment besides PATH (nothing else leaks in from the test runner's). */
  env?: Record<string, string>;
  /** Written to standard input, which is then closed. */
  input?: string;
}

/**
 * Runs the built `nomaly` command without blocking the event loop, so a stub API served by the
 * test process can answer it.
 */
export async function runCliAsync(args: string[], options: RunOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(options.input ?? '');
  const bound = setTimeout(() => child.kill('SIGKILL'), RUN_BOUND_MS);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(bound);
  return { code, stdout, stderr };
}

/**
 * A home of its own for one test: `HOME` and `XDG_CONFIG_HOME` in a fresh temporary folder, so
 * a test never reads or writes the user's real configuration.
 */
export function isolatedHome(): { home: string; env: Record<string, string>; configFile: string } {
  const home = mkdtempSync(join(tmpdir(), 'nomaly-home-'));
  const xdg = join(home, 'xdg');
  return {
    home,
    env: { HOME: home, XDG_CONFIG_HOME: xdg },
    configFile: join(xdg, 'nomaly', 'config.json'),
  };
}

/** A loopback port nothing listens on right now (the OS picks it, then it is released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
