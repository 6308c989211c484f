/**
 * The `nomaly` command as a user runs it against the stack: the built launcher in a process of
 * its own, with a home folder of its own (so the config file it writes is the test's, never the
 * user's), and a bound on every run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@nomaly/testing';

const BIN = join(REPO_ROOT, 'apps', 'cli', 'bin', 'nomaly.js');

/** A run past this is killed (and its test fails on the exit code), never waited on forever. */
const RUN_BOUND_MS = 120_000;

export interface NomalyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A user of the command: a home and config folder of their own. */
export interface CliUser {
  readonly home: string;
  /** Where `nomaly login` stores the URL and key for this user. */
  readonly configFile: string;
  /** Runs `nomaly args…`; `env` adds variables (NOMALY_URL, NOMALY_API_KEY, …). */
  run(
    args: readonly string[],
    options?: { env?: Record<string, string>; input?: string },
  ): Promise<NomalyRun>;
}

export function cliUser(): CliUser {
  const home = mkdtempSync(join(tmpdir(), 'nomaly-cli-home-'));
  const xdg = join(home, 'xdg');
  return {
    home,
    configFile: join(xdg, 'nomaly', 'config.json'),
    async run(args, options = {}) {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: home,
        env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: xdg, ...options.env },
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
    },
  };
}
