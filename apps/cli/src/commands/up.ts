import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CliError, usageError } from '../cli-error.js';
import { curlCommands, demoDataset, gatewayClient, type LocalStack } from '../stack/demo-seed.js';
import { firstTakenPort, ManagedProcess, PidFile } from '../stack/processes.js';
import { REPO_ROOT, stackPorts, topology, type StackService } from '../stack/topology.js';

export const UP_HELP = `Usage: nomaly up [--port-offset N] [--state-dir DIR] [--no-demo] [--no-redis]

Starts the local stack — auth, dataset, model and detector services, the web UI's server and the
gateway (the local stand-in for the Istio ingress, routing by istio/*.yaml) — on the ports of
ARCHITECTURE.md: gateway 8080 (the UI at /ui); detector 8000/50051, dataset 8001/50052, model
8002/50053, auth 8003/50054, web 8004.
Runs on the PostgreSQL and Redis of DATABASE_URL and REDIS_URL when they are set. Without
DATABASE_URL it runs an embedded PostgreSQL (data in DIR/postgres); without REDIS_URL, the
machine's redis-server when one is on the PATH (127.0.0.1:6390, nothing persisted), else an
in-process cache. With a Redis the worker runs too (port 8005), taking durable jobs from its
queues; without, job submissions answer 503 (large trainings included: they are jobs).
Applies migrations, then
creates a demo tenant with an admin API key, a demo dataset and a trained isolation forest
(reused on the next start), prints a curl that scores rows, and writes the same to
DIR/local.json. Logs go to DIR/logs/. Ctrl-C stops everything.

Options:
  --port-offset N   add N (0-15000) to every port, to run beside another stack
  --state-dir DIR   where data, logs and local.json go (default .nomaly in the repository)
  --no-demo         start the stack without creating the demo tenant, dataset and detector
  --no-redis        without REDIS_URL, do not start redis-server: in-process cache, no jobs
`;

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const execFileAsync = promisify(execFile);

export async function up(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'port-offset': { type: 'string', default: '0' },
      'state-dir': { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
      'no-redis': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw usageError(`up takes no arguments, got '${positionals[0]}'`);
  const offset = Number(values['port-offset']);
  if (!Number.isInteger(offset) || offset < 0 || offset > 15_000) {
    throw usageError(
      `--port-offset must be an integer from 0 to 15000, got '${values['port-offset']}'`,
    );
  }
  const stateDir = resolve(values['state-dir'] ?? join(REPO_ROOT, '.nomaly'));
  const logDir = join(stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const inherited = { ...(process.env as Record<string, string>) };
  for (const name of ['PORT', 'HOST', 'GRPC_PORT', 'STATUS_PORT']) delete inherited[name];
  const shared: Record<string, string> = {
    ...inherited,
    ENVIRONMENT: inherited.ENVIRONMENT ?? 'development',
    LOG_LEVEL: inherited.LOG_LEVEL ?? 'info',
  };
  if (shared.REDIS_URL === '') delete shared.REDIS_URL;
  const stack = new Stack(stateDir, logDir);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const stopped = await stack.pidFile.stopLeftovers(STOP_GRACE_MS);
  if (stopped.length > 0) say(`stopped what a previous run left behind: ${stopped.join(', ')}`);

  // Without REDIS_URL, the machine's redis-server (when there is one) carries the job queues.
  const redisServer =
    shared.REDIS_URL === undefined && !values['no-redis'] ? findOnPath('redis-server') : undefined;
  // The stack as it will run (its database and Redis URLs are known only once they are up).
  const plan = topology(
    offset,
    redisServer === undefined ? shared : { ...shared, REDIS_URL: 'redis://127.0.0.1' },
  );
  for (const service of plan.order) {
    if (!existsSync(join(REPO_ROOT, 'apps', service.app, 'dist', 'main.js'))) {
      throw new CliError(
        `apps/${service.app} is not built: run \`npm run build\` (\`npm start\` builds first)`,
      );
    }
  }
  const taken = await firstTakenPort([
    ...stackPorts(plan),
    ...(redisServer === undefined ? [] : [{ port: plan.localRedisPort, owner: 'redis-server' }]),
  ]);
  if (taken !== undefined) {
    throw new CliError(
      `port ${taken.port} (${taken.owner}) is already in use on 127.0.0.1: stop what holds it, or start with --port-offset N`,
    );
  }

  process.on('SIGINT', () => void stack.shutdown('interrupted', 0));
  process.on('SIGTERM', () => void stack.shutdown('terminated', 0));
  process.on('SIGHUP', () => void stack.shutdown('hung up', 0));

  try {
    const env = { ...shared };
    let database = 'DATABASE_URL';
    if (shared.DATABASE_URL === undefined || shared.DATABASE_URL === '') {
      say(`starting the embedded PostgreSQL (data in ${display(join(stateDir, 'postgres'))}) …`);
      env.DATABASE_URL = await stack.startEmbeddedPostgres(
        join(stateDir, 'postgres'),
        plan.embeddedPostgresPort,
      );
      database = 'embedded PostgreSQL';
    }
    let cache = shared.REDIS_URL === undefined ? 'in-process (REDIS_URL unset)' : 'REDIS_URL';
    if (redisServer !== undefined) {
      env.REDIS_URL = await stack.startLocalRedis(
        redisServer,
        join(stateDir, 'redis'),
        plan.localRedisPort,
      );
      cache = `${redisServer} on 127.0.0.1:${plan.localRedisPort} (nothing persisted)`;
    }
    const t = topology(offset, env);
    say(
      `database: ${database}; cache: ${cache}; ` +
        `jobs: ${t.worker === undefined ? 'off (no Redis: set REDIS_URL or install redis-server; submissions answer 503)' : 'the worker'}`,
    );
    await Promise.all([t.auth, t.dataset, t.model, t.detector].map((s) => stack.migrate(s)));
    say('migrations applied');
    // Services reach each other lazily (JWKS on the first token, gRPC channels on the first
    // call), so they start together; the gateway opens the door once they are all ready.
    // The worker starts with them: the detector-service's migrations made its job tables.
    const services = [t.auth, t.dataset, t.model, t.detector, t.worker, t.web];
    await Promise.all(services.filter((s) => s !== undefined).map((s) => stack.start(s)));
    await stack.start(t.gateway);
    for (const s of t.order) {
      const grpc = s.grpcPort === undefined ? '' : `, gRPC 127.0.0.1:${s.grpcPort}`;
      say(`  ${s.name.padEnd(17)} ${s.baseUrl}${grpc}`);
    }
    stack.superviseUntilShutdown();

    if (!values['no-demo']) {
      const local = await seedDemo(t.gateway.baseUrl, t.auth, stateDir, say);
      const data = demoDataset(REPO_ROOT);
      say('');
      say(`Nomaly is up at ${t.gateway.baseUrl}  (logs in ${display(logDir)}, Ctrl-C stops)`);
      say(`  web UI    ${t.gateway.baseUrl}/ui  (sign in with the API key)`);
      say(`  API key   ${local.apiKey}`);
      say(`  tenant    ${local.tenantId}`);
      say(`  dataset   ${local.datasetId}  (${data.name})`);
      say(`  detector  ${local.detectorId}  (isolation forest, trained)`);
      say(`  details   ${display(join(stateDir, 'local.json'))}`);
      say('');
      say('Score two rows (an ordinary one and a labelled anomaly):');
      say('');
      for (const line of curlCommands(local, data.sampleRows)) say(`  ${line}`);
      say('');
    } else {
      say(`Nomaly is up at ${t.gateway.baseUrl}  (logs in ${display(logDir)}, Ctrl-C stops)`);
    }
  } catch (error) {
    await stack.shutdown(undefined, 1);
    throw error;
  }
  await stack.done;
}

/** The first executable `name` on the PATH, or undefined. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** The processes of one `nomaly up`, started in order and stopped in reverse. */
class Stack {
  readonly pidFile: PidFile;
  private readonly processes: ManagedProcess[] = [];
  private postgres: ManagedProcess | undefined;
  private redis: ManagedProcess | undefined;
  private stopping = false;
  private resolveDone!: (code: number) => void;
  /** Resolves when the stack has stopped; sets the exit code. */
  readonly done: Promise<void>;

  constructor(
    private readonly stateDir: string,
    private readonly logDir: string,
  ) {
    this.pidFile = new PidFile(join(stateDir, 'stack.json'));
    this.done = new Promise<number>((resolve) => (this.resolveDone = resolve)).then((code) => {
      process.exitCode = code;
    });
  }

  async startEmbeddedPostgres(dataDir: string, port: number): Promise<string> {
    return this.runServer(
      'postgres',
      'embedded-postgres-main.js',
      { NOMALY_POSTGRES_DIR: dataDir, NOMALY_POSTGRES_PORT: String(port) },
      (child) => (this.postgres = child),
    );
  }

  /** The machine's redis-server on `port`, run (and stopped) by `local-redis-main`. */
  async startLocalRedis(binary: string, dir: string, port: number): Promise<string> {
    mkdirSync(dir, { recursive: true });
    return this.runServer(
      'redis',
      'local-redis-main.js',
      { NOMALY_REDIS_SERVER: binary, NOMALY_REDIS_PORT: String(port), NOMALY_REDIS_DIR: dir },
      (child) => (this.redis = child),
    );
  }

  /**
   * Starts a server wrapper of `apps/cli/dist/stack` (`keep` holds it, so a shutdown during its
   * start stops it too) and waits for the URL it reports over IPC once it is ready.
   */
  private async runServer(
    name: string,
    script: string,
    env: Record<string, string>,
    keep: (child: ManagedProcess) => void,
  ): Promise<string> {
    const child = ManagedProcess.start(name, [`dist/stack/${script}`], {
      cwd: join(REPO_ROOT, 'apps', 'cli'),
      env: { ...(process.env as Record<string, string>), ...env },
      logFile: this.freshLog(name),
      ipc: true,
    });
    keep(child);
    this.record();
    const { url } = await child.message<{ url: string }>(READY_TIMEOUT_MS);
    return url;
  }

  /** `dist/cli.js migrate up` of a service, its output in the service's log. */
  async migrate(service: StackService): Promise<void> {
    const log = this.freshLog(service.name);
    try {
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        ['dist/cli.js', 'migrate', 'up'],
        { cwd: join(REPO_ROOT, 'apps', service.app), env: service.env },
      );
      writeFileSync(log, stdout + stderr, { flag: 'a' });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new CliError(`${service.name}: migrate up failed:\n${stderr || stdout}`);
    }
  }

  async start(service: StackService): Promise<void> {
    const logFile = join(this.logDir, `${service.name}.log`);
    if (!existsSync(logFile)) this.freshLog(service.name);
    const child = ManagedProcess.start(
      service.name,
      ['--import', '@nomaly/platform-telemetry/register', 'dist/main.js'],
      { cwd: join(REPO_ROOT, 'apps', service.app), env: service.env, logFile },
    );
    this.processes.push(child);
    this.record();
    await child.waitReady(service.readyUrl, READY_TIMEOUT_MS);
  }

  /** From now on, a process that exits by itself stops the whole stack (exit code 1). */
  superviseUntilShutdown(): void {
    for (const child of this.all) {
      void child.whenExited().then((code) => {
        if (this.stopping) return;
        process.stderr.write(
          `nomaly: ${child.name} exited (${code ?? 'signal'}); its last log lines:\n${child.logTail()}\n`,
        );
        void this.shutdown('a process exited', 1);
      });
    }
  }

  /** Stops the gateway first, then the services, Redis and the database, each with a drain. */
  async shutdown(reason: string | undefined, code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (reason !== undefined) process.stdout.write(`\n${reason}: stopping the stack …\n`);
    // A second Ctrl-C during the drain means "now". The first one may arrive twice (from the
    // terminal and forwarded by `npm start`), so only a press a second later counts.
    const since = Date.now();
    process.on('SIGINT', () => {
      if (Date.now() - since < 1_000) return;
      for (const child of this.all) child.kill();
    });
    for (const child of [...this.processes].reverse()) await child.stop(STOP_GRACE_MS);
    await this.redis?.stop(STOP_GRACE_MS);
    await this.postgres?.stop(STOP_GRACE_MS);
    rmSync(join(this.stateDir, 'stack.json'), { force: true });
    if (reason !== undefined) process.stdout.write('stopped\n');
    this.resolveDone(code);
  }

  /** Every process of the stack: the embedded Postgres and Redis (if any), then the services. */
  private get all(): ManagedProcess[] {
    return [this.postgres, this.redis, ...this.processes].filter(
      (child): child is ManagedProcess => child !== undefined,
    );
  }

  private record(): void {
    this.pidFile.write(this.all);
  }

  private freshLog(name: string): string {
    const path = join(this.logDir, `${name}.log`);
    writeFileSync(path, '');
    return path;
  }
}

/**
 * The demo tenant, dataset and trained detector, through the gateway like any client. What the
 * last run created (`local.json`) is reused when it still works, so restarts are quick and the
 * printed key stays the same.
 */
async function seedDemo(
  gatewayUrl: string,
  auth: StackService,
  stateDir: string,
  say: (line: string) => void,
): Promise<LocalStack> {
  const call = gatewayClient(gatewayUrl);
  const localFile = join(stateDir, 'local.json');
  const previous = existsSync(localFile)
    ? (JSON.parse(readFileSync(localFile, 'utf8')) as Partial<LocalStack>)
    : {};

  const exchange = async (apiKey: string) =>
    call<{ accessToken: string }>('/api/v1/auth/token', { json: { apiKey }, expect: [200, 401] });
  let apiKey = previous.apiKey;
  let tenantId = previous.tenantId;
  let token: string | undefined;
  if (apiKey !== undefined) {
    const exchanged = await exchange(apiKey);
    if (exchanged.status === 200) token = exchanged.body.accessToken;
  }
  if (token === undefined || tenantId === undefined) {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['dist/cli.js', 'create-admin', '--tenant', 'demo', '--key-name', 'nomaly up', '--json'],
      { cwd: join(REPO_ROOT, 'apps', auth.app), env: auth.env },
    );
    ({ apiKey, tenantId } = JSON.parse(stdout) as { apiKey: string; tenantId: string });
    const exchanged = await exchange(apiKey);
    if (exchanged.status !== 200) throw new CliError('the new demo API key was refused');
    token = exchanged.body.accessToken;
    say('created the demo tenant and an admin API key');
  }
  if (apiKey === undefined || tenantId === undefined) throw new CliError('no demo API key');

  const exists = async (path: string) =>
    (await call<unknown>(path, { token, expect: [200, 404] })).status === 200;
  let datasetId = previous.datasetId;
  if (datasetId === undefined || !(await exists(`/api/v1/datasets/${datasetId}`))) {
    const data = demoDataset(REPO_ROOT);
    const uploaded = await call<{ id: string; rows: number }>(
      `/api/v1/datasets?name=${encodeURIComponent(data.name)}`,
      { token, body: data.csv, contentType: 'text/csv', expect: [201] },
    );
    datasetId = uploaded.body.id;
    say(`uploaded the demo dataset ${data.name} (${uploaded.body.rows} rows, from ${data.source})`);
  }

  let detectorId = previous.detectorId;
  const trained =
    detectorId !== undefined &&
    (await call<{ latestVersion: number | null }>(`/api/v1/detectors/${detectorId}`, {
      token,
      expect: [200, 404],
    }).then((r) => r.status === 200 && r.body.latestVersion !== null));
  if (!trained) {
    const created = await call<{ id: string }>('/api/v1/detectors', {
      token,
      json: { name: 'demo isolation forest', algorithm: 'iforest', parameters: { seed: 7 } },
      expect: [201],
    });
    detectorId = created.body.id;
    const training = await call<{ jobId?: string }>(`/api/v1/detectors/${detectorId}/train`, {
      token,
      json: { datasetId },
      expect: [200, 202],
    });
    if (training.status === 202) await followJob(call, token, training.body.jobId ?? '');
    say('trained the demo isolation forest');
  }
  if (detectorId === undefined) throw new CliError('no demo detector');

  const local: LocalStack = { gatewayUrl, apiKey, tenantId, datasetId, detectorId };
  writeFileSync(localFile, `${JSON.stringify(local, null, 2)}\n`, { mode: 0o600 });
  return local;
}

async function followJob(
  call: ReturnType<typeof gatewayClient>,
  token: string,
  jobId: string,
): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const job = await call<{ state: string; error?: unknown }>(`/api/v1/jobs/${jobId}`, {
      token,
      expect: [200],
    });
    if (job.body.state === 'succeeded') return;
    if (job.body.state !== 'running' && job.body.state !== 'queued') {
      throw new CliError(
        `training the demo detector ended ${job.body.state}: ${JSON.stringify(job.body.error)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new CliError('training the demo detector did not finish within 10 minutes');
}
