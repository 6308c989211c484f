/**
 * Static check of the container and monitoring files, for a machine with no Docker engine:
 *
 * - Dockerfile: dockerfile-utils' validator plus our rules (dockerfile-rules.ts), and one image
 *   stage per app with a `serve` target whose CMD is that command;
 * - .dockerignore: keeps host trees out and the build's inputs in;
 * - docker-compose.yml alone and with docker-compose.prod.yml merged: the Compose Specification
 *   schema and our rules (compose-rules.ts);
 * - monitoring/: Prometheus configuration and alert rules (promtool when installed, structure
 *   always), Grafana provisioning, the dashboard, and every metric they name against the code.
 *
 *   npx nx run tools:check-containers      (or: npx tsx tools/containers/check-containers.ts)
 *
 * Prints one line per problem and exits 1 when there is any.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkComposeSet, type ComposeContract } from './compose-rules.js';
import { lintDockerfile } from './dockerfile-rules.js';
import {
  checkAlertMetrics,
  checkAlertRules,
  checkDashboard,
  checkPrometheusConfig,
  dashboardProviderPaths,
  exportedMetrics,
  findPromtool,
  promtoolCheck,
  provisionedDatasources,
} from './monitoring-rules.js';
import { formatProblem, isRecord, type Problem } from './problems.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const API_ENVIRONMENT = [
  'SERVICE_NAME',
  'ENVIRONMENT',
  'LOG_LEVEL',
  'PORT',
  'GRPC_PORT',
  'HOST',
  'RATE_LIMIT_REQUESTS_PER_MINUTE',
  'RATE_LIMIT_BURST',
  'MAX_REQUEST_SIZE_MB',
  'MAX_DETECTION_BATCH_SIZE',
  'RESILIENCE_ENABLED',
  'CIRCUIT_BREAKER_ENABLED',
  'TRUSTED_PROXY_HOPS',
  'SHUTDOWN_TIMEOUT_MS',
  'DATABASE_POOL_SIZE',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'DATABASE_URL',
  'REDIS_URL',
  'SECRET_KEY',
];

/**
 * The deployment contract as Compose sees it (/tmp/brief/deploy-contract.md, mirrored here so
 * the check runs anywhere). OTEL_EXPORTER_OTLP_ENDPOINT is optional: Compose runs no collector.
 */
export const COMPOSE_CONTRACT: ComposeContract = {
  ports: {
    'detector-service': { PORT: '8000', GRPC_PORT: '50051' },
    'dataset-service': { PORT: '8001', GRPC_PORT: '50052' },
    'model-service': { PORT: '8002', GRPC_PORT: '50053' },
    'auth-service': { PORT: '8003', GRPC_PORT: '50054' },
    gateway: { PORT: '8080', STATUS_PORT: '15021' },
  },
  apiEnvironment: API_ENVIRONMENT,
  serviceEnvironment: {
    'auth-service': ['API_KEYS_ENCRYPTION_KEY'],
    'dataset-service': ['AUTH_JWKS_URL'],
    'model-service': ['AUTH_JWKS_URL'],
    'detector-service': ['AUTH_JWKS_URL', 'DATASET_SERVICE_GRPC_URL', 'MODEL_SERVICE_GRPC_URL'],
    gateway: ['ISTIO_CONFIG', 'GATEWAY_UPSTREAMS'],
  },
  publicServices: ['gateway'],
};

/** What `.dockerignore` must leave out, and what the build needs that it must keep. */
const DOCKERIGNORE_REQUIRED = ['node_modules', '.git', 'dist'];
const BUILD_INPUTS = [
  'package.json',
  'package-lock.json',
  'nx.json',
  'tsconfig.base.json',
  'apps',
  'libs',
  'istio',
  'tools/containers/stage-runtime.ts',
];

export const FILES = {
  dockerfile: 'Dockerfile',
  dockerignore: '.dockerignore',
  compose: 'docker-compose.yml',
  composeProd: 'docker-compose.prod.yml',
  prometheus: 'monitoring/prometheus/prometheus.yml',
  prometheusKubernetes: 'monitoring/prometheus/prometheus-kubernetes.yml',
  alerts: 'monitoring/prometheus/alerts.yml',
  datasources: 'monitoring/grafana/provisioning/datasources',
  dashboardProviders: 'monitoring/grafana/provisioning/dashboards',
  dashboards: 'charts/nomaly/dashboards',
} as const;

export interface CheckOptions {
  readonly root?: string;
  /** Texts to check instead of the files on disk, by path relative to the root (tests seed mistakes here). */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Use promtool when installed (default true); it reads the files on disk, so overridden files skip it. */
  readonly promtool?: boolean;
}

export interface CheckResult {
  readonly problems: Problem[];
  /** What the check did or left out that is not a problem (tool versions, skipped checks). */
  readonly notices: string[];
}

/**
 * The `serve` command of each app under apps/, as argv, and the apps whose serve target exists
 * before their entry point (`src/main.ts`): an app being written needs no image stage yet.
 */
export function serveCommands(root: string): {
  commands: Map<string, string[]>;
  unwritten: string[];
} {
  const commands = new Map<string, string[]>();
  const unwritten: string[] = [];
  for (const entry of readdirSync(join(root, 'apps'), { withFileTypes: true })) {
    const path = join(root, 'apps', entry.name, 'project.json');
    if (!entry.isDirectory() || !existsSync(path)) continue;
    const project = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const serve =
      isRecord(project) && isRecord(project.targets) ? project.targets.serve : undefined;
    const command = isRecord(serve) && isRecord(serve.options) ? serve.options.command : undefined;
    if (typeof command !== 'string') continue;
    if (existsSync(join(root, 'apps', entry.name, 'src', 'main.ts'))) {
      commands.set(entry.name, command.trim().split(/\s+/));
    } else {
      unwritten.push(entry.name);
    }
  }
  return { commands, unwritten };
}

function dockerignoreProblems(text: string, file: string): Problem[] {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => line.replace(/^\/+/, '').replace(/\/+$/, ''));
  const problems: Problem[] = [];
  for (const required of DOCKERIGNORE_REQUIRED) {
    if (!patterns.some((p) => p === required || p === `**/${required}`)) {
      problems.push({
        file,
        message: `must exclude ${required} (host-built trees must not enter the image)`,
      });
    }
  }
  for (const input of BUILD_INPUTS) {
    const segments = input.split('/');
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    const excluded = patterns.find(
      (p) => prefixes.includes(p) || prefixes.includes(p.replace(/^\*\*\//, '')),
    );
    if (excluded !== undefined) {
      problems.push({
        file,
        message: `"${excluded}" excludes ${input}, which the Dockerfile needs`,
      });
    }
  }
  return problems;
}

/** Runs every check; never throws for a problem in the checked files. */
export function checkContainers(options: CheckOptions = {}): CheckResult {
  const root = options.root ?? REPO_ROOT;
  const overrides = options.overrides ?? {};
  const problems: Problem[] = [];
  const notices: string[] = [];
  const read = (path: string): string | undefined => {
    const override = overrides[path];
    if (override !== undefined) return override;
    const absolute = join(root, path);
    if (!existsSync(absolute)) {
      problems.push({ file: path, message: 'does not exist' });
      return undefined;
    }
    return readFileSync(absolute, 'utf8');
  };
  const yamlFilesIn = (dir: string): string[] => {
    const fromDisk = existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((f) => /\.ya?ml$/.test(f))
          .map((f) => `${dir}/${f}`)
      : [];
    const fromOverrides = Object.keys(overrides).filter(
      (p) => p.startsWith(`${dir}/`) && /\.ya?ml$/.test(p),
    );
    const all = [...new Set([...fromDisk, ...fromOverrides])].sort();
    if (all.length === 0) problems.push({ file: dir, message: 'holds no provisioning file' });
    return all;
  };

  // Dockerfile and its context.
  const dockerfile = read(FILES.dockerfile);
  const apps = serveCommands(root);
  for (const app of apps.unwritten) {
    notices.push(
      `apps/${app} has a serve target but no src/main.ts yet: no image stage required until it has one`,
    );
  }
  if (dockerfile !== undefined) {
    const lint = lintDockerfile(dockerfile, FILES.dockerfile, {
      apps: apps.commands,
      workdir: '/app',
    });
    problems.push(...lint.problems);
    notices.push(...lint.notices);
  }
  const dockerignore = read(FILES.dockerignore);
  if (dockerignore !== undefined)
    problems.push(...dockerignoreProblems(dockerignore, FILES.dockerignore));

  // Compose: development alone, production merged.
  const compose = read(FILES.compose);
  const composeProd = read(FILES.composeProd);
  let prodServices: Record<string, unknown> = {};
  if (compose !== undefined) {
    const dev = checkComposeSet(
      [{ path: join(root, FILES.compose), text: compose }],
      {},
      {
        root,
        contract: COMPOSE_CONTRACT,
        production: false,
      },
    );
    problems.push(...dev.problems);
    if (composeProd !== undefined) {
      const prod = checkComposeSet(
        [
          { path: join(root, FILES.compose), text: compose },
          { path: join(root, FILES.composeProd), text: composeProd },
        ],
        {},
        { root, contract: COMPOSE_CONTRACT, production: true },
      );
      problems.push(...prod.problems);
      if (isRecord(prod.merged?.services)) prodServices = prod.merged.services;
      if (prod.required.length > 0) {
        notices.push(
          `${FILES.composeProd} requires from the environment: ${prod.required.join(', ')}`,
        );
      }
    }
  }

  // Prometheus.
  const usePromtool = options.promtool !== false ? findPromtool() : undefined;
  notices.push(
    usePromtool !== undefined
      ? `promtool: ${usePromtool}`
      : 'promtool not found (apt-get install prometheus): structural checks only',
  );
  const promtoolOn = (path: string, kind: 'config' | 'rules'): void => {
    if (usePromtool === undefined || path in overrides) return;
    const { skipped } = promtoolCheck(kind, join(root, path), path, problems);
    if (skipped !== undefined) notices.push(skipped);
  };
  const exported = exportedMetrics(root);

  const alerts = read(FILES.alerts);
  if (alerts !== undefined) {
    const expressions = checkAlertRules(alerts, FILES.alerts, problems);
    checkAlertMetrics(expressions, FILES.alerts, exported, problems);
    promtoolOn(FILES.alerts, 'rules');
  }
  for (const path of [FILES.prometheus, FILES.prometheusKubernetes]) {
    const text = read(path);
    if (text === undefined) continue;
    const targets = checkPrometheusConfig(text, path, join(root, path), problems);
    promtoolOn(path, 'config');
    if (path !== FILES.prometheus) continue;
    // Every Compose scrape target is a service of the production stack, on a port it listens on.
    for (const { host, port } of targets) {
      if (host === '127.0.0.1' || host === 'localhost') continue;
      const service = prodServices[host];
      if (!isRecord(service)) {
        problems.push({
          file: path,
          message: `scrapes ${host}:${port}, which is no service of ${FILES.compose} + ${FILES.composeProd}`,
        });
        continue;
      }
      const environment = isRecord(service.environment) ? service.environment : {};
      const ports = [environment.PORT, environment.STATUS_PORT].map((p) => Number(p));
      if (!ports.includes(port)) {
        problems.push({
          file: path,
          message: `scrapes ${host}:${port}, but ${host} listens on ${ports.filter(Number.isFinite).join(', ')}`,
        });
      }
    }
  }

  // Grafana.
  const datasourceUids = yamlFilesIn(FILES.datasources).flatMap((path) => {
    const text = read(path);
    return text === undefined ? [] : provisionedDatasources(text, path, problems);
  });
  const providerPaths = yamlFilesIn(FILES.dashboardProviders).flatMap((path) => {
    const text = read(path);
    return text === undefined ? [] : dashboardProviderPaths(text, path, problems);
  });
  const grafanaMounts = new Map<string, string>();
  for (const service of Object.values(prodServices)) {
    if (!isRecord(service) || !Array.isArray(service.volumes)) continue;
    for (const volume of service.volumes) {
      const [source, target] = String(volume).split(':');
      if (source !== undefined && target !== undefined)
        grafanaMounts.set(target, source.replace(/^\.\//, '').replace(/\/$/, ''));
    }
  }
  for (const path of providerPaths) {
    if (grafanaMounts.get(path) !== FILES.dashboards) {
      problems.push({
        file: FILES.dashboardProviders,
        message: `provider path ${path} is not where ${FILES.composeProd} mounts ./${FILES.dashboards}`,
      });
    }
  }
  const dashboards = existsSync(join(root, FILES.dashboards))
    ? readdirSync(join(root, FILES.dashboards))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${FILES.dashboards}/${f}`)
    : [];
  if (dashboards.length === 0)
    problems.push({ file: FILES.dashboards, message: 'holds no dashboard JSON' });
  for (const path of dashboards) {
    const text = read(path);
    if (text === undefined) continue;
    checkDashboard(text, path, datasourceUids, exported, problems);
  }
  return { problems, notices };
}

function main(): number {
  const { problems, notices } = checkContainers();
  for (const notice of notices) process.stdout.write(`note: ${notice}\n`);
  for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
  process.stdout.write(
    problems.length === 0
      ? 'check-containers: Dockerfile, .dockerignore, compose (dev, prod), monitoring and dashboard pass\n'
      : `check-containers: ${problems.length} problem(s)\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  process.exitCode = main();
}
