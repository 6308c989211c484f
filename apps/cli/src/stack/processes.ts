import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A child process of the local stack. Children run in process groups of their own (`detached`), so
 * the terminal's Ctrl-C reaches only `nomaly up`, which then stops them in order — the gateway
 * first, the embedded Postgres last — instead of every process racing to exit at once.
 */
export class ManagedProcess {
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
    private readonly exited: Promise<number | null>,
  ) {}

  /** Starts `node [args]` in `cwd` with its output appended to `logFile`. */
  static start(
    name: string,
    args: readonly string[],
    options: { cwd: string; env: Record<string, string>; logFile: string; ipc?: boolean },
  ): ManagedProcess {
    const log = openSync(options.logFile, 'a');
    try {
      const child = spawn(process.execPath, args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: options.ipc === true ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
      });
      const exited = new Promise<number | null>((resolve) => {
        child.once('exit', (code, signal) => resolve(signal === null ? code : null));
        child.once('error', () => resolve(null));
      });
      return new ManagedProcess(name, child, options.logFile, exited);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first IPC message the child sends (it must have been started with `ipc`). */
  async message<T>(timeoutMs: number): Promise<T> {
    const exited = this.exited.then(() => {
      throw new Error(`${this.name} exited during start-up:\n${this.logTail()}`);
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${this.name} did not start within ${timeoutMs / 1000} s`)),
        timeoutMs,
      ).unref(),
    );
    const [message] = (await Promise.race([once(this.child, 'message'), exited, timeout])) as [T];
    return message;
  }

  /** Resolves when the process exits, with its exit code (null when a signal ended it). */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /**
   * Polls `url` until it answers 200. Fails with the tail of the log when the process exits
   * first or the bound elapses.
   */
  async waitReady(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.logTail()}`);
      const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs / 1000} s:\n${this.logTail()}`);
  }

  /** SIGTERM (a graceful drain), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL to the process and everything it started. */
  kill(): void {
    if (this.running) signalGroup(this.pid, 'SIGKILL');
  }

  /** The last lines of its log, for a message. */
  logTail(lines = 20): string {
    if (!existsSync(this.logFile)) return '';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Signals the process group (the child and anything it started), or the process if it has none. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * The pids of a running stack, kept in the state dir: when `nomaly up` was killed without its
 * chance to stop its children (`kill -9`, a closed terminal), the next run stops them first.
 */
export class PidFile {
  constructor(private readonly path: string) {}

  write(processes: readonly ManagedProcess[]): void {
    const entries = processes.map((p) => ({ name: p.name, pid: p.pid }));
    writeFileSync(this.path, `${JSON.stringify({ owner: process.pid, processes: entries })}\n`);
  }

  /** Stops what a previous run left behind; returns the names of what it stopped. */
  async stopLeftovers(graceMs: number): Promise<string[]> {
    if (!existsSync(this.path)) return [];
    let recorded: { owner: number; processes: { name: string; pid: number }[] };
    try {
      recorded = JSON.parse(readFileSync(this.path, 'utf8')) as typeof recorded;
    } catch {
      return [];
    }
    if (isAlive(recorded.owner)) {
      throw new Error(
        `another \`nomaly up\` (pid ${recorded.owner}) is running this stack: stop it first (Ctrl-C in its terminal, or kill ${recorded.owner})`,
      );
    }
    const leftovers = recorded.processes.filter((p) => isAlive(p.pid) && isNode(p.pid));
    for (const p of leftovers) signalGroup(p.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (leftovers.some((p) => isAlive(p.pid)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of leftovers) if (isAlive(p.pid)) signalGroup(p.pid, 'SIGKILL');
    return leftovers.map((p) => p.name);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A recycled pid belongs to some other program: never signal it. */
function isNode(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    // No /proc (macOS): trust the pid file.
    return true;
  }
}

/** The first of `ports` something already listens on (127.0.0.1), or undefined. */
export async function firstTakenPort<T extends { port: number }>(
  ports: readonly T[],
): Promise<T | undefined> {
  for (const entry of ports) {
    const server = createServer();
    const taken = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(true));
      server.listen({ port: entry.port, host: '127.0.0.1', exclusive: true }, () => resolve(false));
    });
    if (!taken) {
      server.close();
      await once(server, 'close');
    } else {
      return entry;
    }
  }
  return undefined;
}
