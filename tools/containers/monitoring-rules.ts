import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { isRecord, type Problem, show } from './problems.js';

const PARSE_FAILED = Symbol('YAML that does not parse');

/** The YAML document of a file, or PARSE_FAILED after recording why it does not parse. */
function parseYaml(text: string, file: string, problems: Problem[]): unknown {
  try {
    return parse(text) as unknown;
  } catch (error) {
    problems.push({ file, message: `YAML: ${(error as Error).message}` });
    return PARSE_FAILED;
  }
}

/**
 * Checks of the monitoring files: Prometheus configuration and alert rules (with `promtool` when
 * the machine has it — Debian's `prometheus` package ships it — and a structural check always),
 * the Grafana provisioning, and the dashboard. Every metric an alert or a panel names must be one
 * the code exports, found by reading the prom-client definitions under apps/ and libs/.
 */

/** Series Prometheus makes itself, for every target or rule. */
const PROMETHEUS_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
]);

/** The alerts the contract names; the check fails when one is missing. */
export const REQUIRED_ALERTS = [
  'HighAnomalyRate',
  'CircuitBreakerOpen',
  'ModelAccuracyDegraded',
  'DatabaseConnectionPoolExhausted',
  'HighErrorRate',
] as const;

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** The metrics the code defines, by name, and whether prom-client's default metrics are on. */
export interface ExportedMetrics {
  readonly metrics: ReadonlyMap<string, { readonly type: MetricType; readonly file: string }>;
  readonly defaultMetrics: boolean;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.'))
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** Reads the prom-client metric definitions (`new Counter({ name: '…' … })`) under apps/ and libs/. */
export function exportedMetrics(root: string): ExportedMetrics {
  const metrics = new Map<string, { type: MetricType; file: string }>();
  let defaultMetrics = false;
  for (const file of [...sourceFiles(join(root, 'apps')), ...sourceFiles(join(root, 'libs'))]) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('prom-client')) continue;
    if (/\bcollectDefaultMetrics\s*\(/.test(text)) defaultMetrics = true;
    const definition =
      /new\s+(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\s*\(\s*\{[^}]*?\bname:\s*['"]([a-zA-Z_:][a-zA-Z0-9_:]*)['"]/g;
    for (const [, kind = '', name = ''] of text.matchAll(definition)) {
      metrics.set(name, { type: kind.toLowerCase() as MetricType, file: relative(root, file) });
    }
  }
  return { metrics, defaultMetrics };
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/**
 * The metric names in a PromQL expression (Grafana's `$var` and `$__rate_interval` allowed):
 * identifiers that are not functions, aggregations, keywords, label names or strings.
 */
export function promqlMetricNames(expr: string): string[] {
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');
  text = text.replace(/\{[^}]*\}/g, ' ');
  text = text.replace(/\[[^\]]*\]/g, ' ');
  text = text.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  text = text.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name = '', call] = match;
    if (call !== undefined || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Whether a series name is exported: directly, or as a histogram's/summary's `_bucket`, `_sum`, `_count`. */
export function metricStatus(name: string, exported: ExportedMetrics): 'exported' | 'unknown' {
  if (exported.metrics.has(name) || PROMETHEUS_SERIES.has(name)) return 'exported';
  if (exported.defaultMetrics && /^(?:process|nodejs)_/.test(name)) return 'exported';
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (suffix !== null) {
    const base = exported.metrics.get(suffix[1] ?? '');
    if (base?.type === 'histogram') return 'exported';
    if (base?.type === 'summary' && suffix[2] !== 'bucket') return 'exported';
  }
  return 'unknown';
}

/** Reports names no code exports. */
function checkNames(
  names: Iterable<string>,
  exported: ExportedMetrics,
  file: string,
  where: string,
  problems: Problem[],
): void {
  for (const name of names) {
    if (metricStatus(name, exported) === 'unknown') {
      problems.push({
        file,
        where,
        message: `metric ${name} is exported by no code under apps/ or libs/`,
      });
    }
  }
}

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const SCRAPE_KEYS = new Set([
  'job_name',
  'scrape_interval',
  'scrape_timeout',
  'metrics_path',
  'scheme',
  'honor_labels',
  'honor_timestamps',
  'params',
  'static_configs',
  'dns_sd_configs',
  'kubernetes_sd_configs',
  'file_sd_configs',
  'relabel_configs',
  'metric_relabel_configs',
  'basic_auth',
  'authorization',
  'tls_config',
  'sample_limit',
  'label_limit',
  'target_limit',
  'follow_redirects',
]);
const DISCOVERY = ['static_configs', 'dns_sd_configs', 'kubernetes_sd_configs', 'file_sd_configs'];

/** A scrape target a Compose configuration must have: service name and port. */
export interface ScrapeTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * Structure of a Prometheus configuration: durations, rule files that exist, scrape configs
 * with unique names, known keys and a discovery. Returns the host:port targets it names.
 */
export function checkPrometheusConfig(
  text: string,
  file: string,
  path: string,
  problems: Problem[],
): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [];
  const config = parseYaml(text, file, problems);
  if (config === PARSE_FAILED) return targets;
  if (!isRecord(config)) {
    problems.push({ file, message: 'is not a mapping' });
    return targets;
  }
  if (isRecord(config.global)) {
    for (const key of ['scrape_interval', 'scrape_timeout', 'evaluation_interval']) {
      const value = config.global[key];
      if (value !== undefined && (typeof value !== 'string' || !DURATION.test(value))) {
        problems.push({
          file,
          where: `global.${key}`,
          message: `${JSON.stringify(value)} is not a duration`,
        });
      }
    }
  }
  for (const ruleFile of Array.isArray(config.rule_files) ? config.rule_files : []) {
    if (typeof ruleFile !== 'string' || !existsSync(join(dirname(path), ruleFile))) {
      problems.push({
        file,
        where: 'rule_files',
        message: `${String(ruleFile)} does not exist beside ${file}`,
      });
    }
  }
  const scrapes = config.scrape_configs;
  if (!Array.isArray(scrapes) || scrapes.length === 0) {
    problems.push({ file, message: 'has no scrape_configs' });
    return targets;
  }
  const names = new Set<string>();
  for (const [index, scrape] of scrapes.entries()) {
    const where = `scrape_configs[${index}]`;
    if (!isRecord(scrape) || typeof scrape.job_name !== 'string') {
      problems.push({ file, where, message: 'needs a job_name' });
      continue;
    }
    if (names.has(scrape.job_name))
      problems.push({ file, where, message: `job_name ${scrape.job_name} repeats` });
    names.add(scrape.job_name);
    for (const key of Object.keys(scrape)) {
      if (!SCRAPE_KEYS.has(key)) problems.push({ file, where, message: `unknown key "${key}"` });
    }
    if (scrape.metrics_path !== undefined && !show(scrape.metrics_path).startsWith('/')) {
      problems.push({ file, where, message: 'metrics_path must start with /' });
    }
    if (!DISCOVERY.some((key) => Array.isArray(scrape[key]))) {
      problems.push({ file, where, message: `names no targets (${DISCOVERY.join(', ')})` });
    }
    for (const group of Array.isArray(scrape.static_configs) ? scrape.static_configs : []) {
      for (const target of isRecord(group) && Array.isArray(group.targets) ? group.targets : []) {
        const parsed = /^([^:]+):(\d+)$/.exec(String(target));
        if (parsed === null)
          problems.push({ file, where, message: `target ${String(target)} is not host:port` });
        else targets.push({ host: parsed[1] ?? '', port: Number(parsed[2]) });
      }
    }
    for (const dns of Array.isArray(scrape.dns_sd_configs) ? scrape.dns_sd_configs : []) {
      if (!isRecord(dns) || typeof dns.port !== 'number' || !Array.isArray(dns.names)) {
        problems.push({ file, where, message: 'dns_sd_configs entries need names and a port' });
        continue;
      }
      for (const name of dns.names) targets.push({ host: String(name), port: dns.port });
    }
  }
  return targets;
}

/** Structure of a rule file and the contract's alert names; returns every expression with where it is. */
export function checkAlertRules(
  text: string,
  file: string,
  problems: Problem[],
): { where: string; expr: string }[] {
  const expressions: { where: string; expr: string }[] = [];
  const rules = parseYaml(text, file, problems);
  if (rules === PARSE_FAILED) return expressions;
  if (!isRecord(rules) || !Array.isArray(rules.groups) || rules.groups.length === 0) {
    problems.push({ file, message: 'needs groups: [{name, rules}]' });
    return expressions;
  }
  const alerts = new Set<string>();
  for (const [g, group] of rules.groups.entries()) {
    if (!isRecord(group) || typeof group.name !== 'string' || !Array.isArray(group.rules)) {
      problems.push({ file, where: `groups[${g}]`, message: 'needs a name and rules' });
      continue;
    }
    for (const [r, rule] of group.rules.entries()) {
      const where = `${group.name}.rules[${r}]`;
      if (!isRecord(rule)) {
        problems.push({ file, where, message: 'must be a mapping' });
        continue;
      }
      const name = rule.alert ?? rule.record;
      if (typeof name !== 'string') {
        problems.push({ file, where, message: 'needs alert or record' });
        continue;
      }
      const label = `${where} ${name}`;
      if (typeof rule.expr !== 'string' || rule.expr.trim() === '') {
        problems.push({ file, where: label, message: 'needs an expr' });
        continue;
      }
      expressions.push({ where: label, expr: rule.expr });
      if (rule.alert === undefined) continue;
      alerts.add(name);
      if (rule.for !== undefined && (typeof rule.for !== 'string' || !DURATION.test(rule.for))) {
        problems.push({
          file,
          where: label,
          message: `for: ${JSON.stringify(rule.for)} is not a duration`,
        });
      }
      const severity = isRecord(rule.labels) ? rule.labels.severity : undefined;
      if (severity !== 'critical' && severity !== 'warning' && severity !== 'info') {
        problems.push({
          file,
          where: label,
          message: 'labels.severity must be critical, warning or info',
        });
      }
      if (!isRecord(rule.annotations) || typeof rule.annotations.summary !== 'string') {
        problems.push({ file, where: label, message: 'needs annotations.summary' });
      }
    }
  }
  for (const required of REQUIRED_ALERTS) {
    if (!alerts.has(required))
      problems.push({ file, message: `lacks the contract's alert ${required}` });
  }
  return expressions;
}

/** The uids of the provisioned Grafana datasources. */
export function provisionedDatasources(text: string, file: string, problems: Problem[]): string[] {
  const document = parseYaml(text, file, problems);
  if (document === PARSE_FAILED) return [];
  if (!isRecord(document) || document.apiVersion !== 1 || !Array.isArray(document.datasources)) {
    problems.push({ file, message: 'needs apiVersion: 1 and datasources' });
    return [];
  }
  const uids: string[] = [];
  for (const [index, source] of document.datasources.entries()) {
    if (!isRecord(source) || typeof source.uid !== 'string' || typeof source.type !== 'string') {
      problems.push({
        file,
        where: `datasources[${index}]`,
        message: 'needs a fixed uid and a type',
      });
    } else {
      uids.push(source.uid);
    }
  }
  return uids;
}

/** The `options.path` folders of the file dashboard providers. */
export function dashboardProviderPaths(text: string, file: string, problems: Problem[]): string[] {
  const document = parseYaml(text, file, problems);
  if (document === PARSE_FAILED) return [];
  if (!isRecord(document) || document.apiVersion !== 1 || !Array.isArray(document.providers)) {
    problems.push({ file, message: 'needs apiVersion: 1 and providers' });
    return [];
  }
  const paths: string[] = [];
  for (const [index, provider] of document.providers.entries()) {
    const path =
      isRecord(provider) && isRecord(provider.options) ? provider.options.path : undefined;
    if (typeof path !== 'string') {
      problems.push({ file, where: `providers[${index}]`, message: 'needs options.path' });
    } else {
      paths.push(path);
    }
  }
  return paths;
}

interface Panel {
  readonly where: string;
  readonly panel: Record<string, unknown>;
}

function panelsOf(panels: unknown, prefix = ''): Panel[] {
  const found: Panel[] = [];
  for (const panel of Array.isArray(panels) ? panels : []) {
    if (!isRecord(panel)) continue;
    const where = `${prefix}panel ${show(panel.id ?? '?')} "${show(panel.title ?? '')}"`;
    found.push({ where, panel });
    found.push(...panelsOf(panel.panels, `${where} > `));
  }
  return found;
}

/**
 * A Grafana dashboard: a fixed uid, a `datasource` variable, data sources that resolve (a
 * datasource variable, or a provisioned uid), unique panel ids, queries on exported metrics.
 */
export function checkDashboard(
  text: string,
  file: string,
  datasourceUids: readonly string[],
  exported: ExportedMetrics,
  problems: Problem[],
): void {
  let dashboard: unknown;
  try {
    dashboard = JSON.parse(text);
  } catch (error) {
    problems.push({ file, message: `JSON: ${(error as Error).message}` });
    return;
  }
  if (!isRecord(dashboard)) {
    problems.push({ file, message: 'is not a JSON object' });
    return;
  }
  if (typeof dashboard.uid !== 'string' || dashboard.uid === '') {
    problems.push({ file, message: 'needs a fixed uid (links and provisioning name it)' });
  }
  const variables =
    isRecord(dashboard.templating) && Array.isArray(dashboard.templating.list)
      ? dashboard.templating.list.filter(isRecord)
      : [];
  const datasourceVariables = new Set(
    variables
      .filter((v) => v.type === 'datasource' && v.query === 'prometheus')
      .map((v) => String(v.name)),
  );
  if (!datasourceVariables.has('datasource')) {
    problems.push({
      file,
      message: 'needs a template variable "datasource" of type datasource (query prometheus)',
    });
  }

  const resolves = (source: unknown): boolean => {
    if (!isRecord(source)) return false;
    const uid = show(source.uid ?? '');
    const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(uid);
    if (variable !== null) return datasourceVariables.has(variable[1] ?? '');
    return datasourceUids.includes(uid);
  };

  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const where = `variable ${String(variable.name)}`;
    if (!resolves(variable.datasource)) {
      problems.push({
        file,
        where,
        message: `datasource ${JSON.stringify(variable.datasource)} does not resolve`,
      });
    }
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    const labelValues = /^label_values\(\s*([^,)]+?)\s*,/.exec(show(query ?? ''));
    const names =
      labelValues !== null
        ? promqlMetricNames(labelValues[1] ?? '')
        : promqlMetricNames(show(query ?? ''));
    checkNames(names, exported, file, where, problems);
  }

  const ids = new Set<unknown>();
  for (const { where, panel } of panelsOf(dashboard.panels)) {
    if (ids.has(panel.id)) problems.push({ file, where, message: 'panel id repeats' });
    ids.add(panel.id);
    if (panel.type === 'row') continue;
    if (!resolves(panel.datasource)) {
      problems.push({
        file,
        where,
        message: `datasource ${JSON.stringify(panel.datasource)} resolves to no variable or provisioned uid`,
      });
    }
    const targets = Array.isArray(panel.targets) ? panel.targets.filter(isRecord) : [];
    if (targets.length === 0) problems.push({ file, where, message: 'has no queries' });
    for (const target of targets) {
      if (target.datasource !== undefined && !resolves(target.datasource)) {
        problems.push({
          file,
          where,
          message: `query ${String(target.refId)} datasource does not resolve`,
        });
      }
      if (typeof target.expr !== 'string' || target.expr.trim() === '') {
        problems.push({ file, where, message: `query ${String(target.refId)} has no expr` });
        continue;
      }
      checkNames(promqlMetricNames(target.expr), exported, file, where, problems);
    }
  }
}

/** Alert expressions: every metric exported. */
export function checkAlertMetrics(
  expressions: readonly { where: string; expr: string }[],
  file: string,
  exported: ExportedMetrics,
  problems: Problem[],
): void {
  for (const { where, expr } of expressions) {
    checkNames(promqlMetricNames(expr), exported, file, where, problems);
  }
}

/** `promtool` on PATH, or undefined. */
export function findPromtool(): string | undefined {
  const result = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return (result.stdout || result.stderr).split('\n')[0]?.trim();
}

/**
 * Runs `promtool check <kind> <path>`. Debian's promtool is built without Kubernetes service
 * discovery: a config that uses it is reported in `skipped`, not as a problem.
 */
export function promtoolCheck(
  kind: 'config' | 'rules',
  path: string,
  file: string,
  problems: Problem[],
): { skipped?: string } {
  const result = spawnSync('promtool', ['check', kind, path], { encoding: 'utf8' });
  if (result.status === 0) return {};
  const output = `${result.stdout}${result.stderr}`.trim();
  if (kind === 'config' && /field kubernetes_sd_configs not found/.test(output)) {
    return {
      skipped: `${file}: this promtool has no Kubernetes service discovery; structural check only`,
    };
  }
  problems.push({
    file,
    message: `promtool check ${kind}: ${
      output
        .split('\n')
        .filter((l) => /FAILED|error|Error/.test(l))
        .join(' | ') || output
    }`,
  });
  return {};
}
