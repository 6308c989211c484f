/**
 * The chart check: renders every chart under `charts/` with every `ci/*-values.yaml` profile and
 * checks what comes out (schemas, policy, consistency), plus the `istio/` files.
 *
 * The charts and istio/ are copied to a scratch folder first: `helm dependency build` writes
 * `charts/*.tgz` and `Chart.lock` into the chart, and a check must not change the tree it checks
 * (the umbrella's `files/istio` symlink keeps working because both folders are copied).
 */
import { isDeepStrictEqual } from 'node:util';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkConsistency } from './consistency.js';
import { Helm, lintProblems } from './helm.js';
import {
  type Finding,
  asString,
  kindOf,
  type Manifest,
  nameOf,
  namespaceOf,
  parseManifests,
  refOf,
} from './manifest.js';
import { checkPolicy } from './policy.js';
import { checkSchemas } from './schemas.js';

export const NAMESPACE = 'nomaly';

/** Profiles every application chart must have (deploy contract). */
export const REQUIRED_PROFILES = ['default', 'canary', 'bluegreen', 'deployment'];

export interface CheckOptions {
  /** Folder holding `charts/` and `istio/` (the repository root); it is not modified. */
  readonly root: string;
  /** Path of the helm binary. */
  readonly helm: string;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
  /** Parallel helm processes; default: the number of cores. */
  readonly concurrency?: number;
  /**
   * Check only these chart folders (their dependencies are still built), and not the istio/
   * files; for tests that seed a mistake into one chart. Default: everything.
   */
  readonly only?: readonly string[];
}

/** One line of the report: a chart rendered with one profile, or a group of istio files. */
export interface Row {
  /** `charts/<name>` or `istio/...`. */
  readonly target: string;
  /** Profile name (`default` for `ci/default-values.yaml`), or what the row covers. */
  readonly profile: string;
  /** Objects rendered (or parsed). */
  readonly objects: number;
  readonly findings: readonly Finding[];
}

export interface CheckResult {
  readonly rows: readonly Row[];
  /** Rendered objects per `charts/<name>` and profile, for tests that seed mistakes in them. */
  readonly renders: ReadonlyMap<string, readonly Manifest[]>;
}

interface ChartInfo {
  /** Folder under charts/ (what `file://../<folder>` names and what the report shows). */
  readonly folder: string;
  /** `name` of Chart.yaml (the release name of its renders). */
  readonly name: string;
  readonly dir: string;
  readonly library: boolean;
  /** Folders of the charts this one takes by `file://../<folder>`. */
  readonly localDependencies: readonly string[];
  readonly hasDependencies: boolean;
}

/** Runs the whole check on a copy of `root`'s charts/ and istio/. */
export async function checkCharts(options: CheckOptions): Promise<CheckResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nomaly-chart-check-'));
  try {
    for (const folder of ['charts', 'istio']) {
      const source = path.join(options.root, folder);
      if (existsSync(source)) {
        await cp(source, path.join(work, folder), { recursive: true, verbatimSymlinks: true });
      }
    }
    return await checkInPlace(work, options);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function checkInPlace(work: string, options: CheckOptions): Promise<CheckResult> {
  const log = options.log ?? (() => undefined);
  const helm = new Helm(options.helm, path.join(work, '.helm'));
  const rows: Row[] = [];
  const renders = new Map<string, Manifest[]>();

  const charts = await discoverCharts(path.join(work, 'charts'));
  if (charts.length === 0) {
    rows.push({
      target: 'charts',
      profile: '-',
      objects: 0,
      findings: [
        {
          rule: 'charts',
          message: `no chart (Chart.yaml) under ${path.join(options.root, 'charts')}`,
        },
      ],
    });
  }
  const istio = await readIstio(path.join(work, 'istio'));

  // Dependencies first, in order: the umbrella packages the service charts with their own
  // charts/ folder, so theirs must be built before.
  const dependencyFindings = new Map<string, Finding[]>();
  const selected = options.only ? withDependencies(charts, options.only) : charts;
  for (const chart of sortByDependencies(selected)) {
    if (!chart.hasDependencies) continue;
    log(`helm dependency build charts/${chart.folder}`);
    const result = await helm.dependencyBuild(chart.dir);
    if (!result.ok) {
      dependencyFindings.set(chart.folder, [
        { rule: 'helm/dependency', message: result.stderr.trim() },
      ]);
    }
  }

  const jobs: (() => Promise<Row>)[] = [];
  for (const chart of charts) {
    if (options.only && !options.only.includes(chart.folder)) continue;
    const target = `charts/${chart.folder}`;
    const failedDependencies = dependencyFindings.get(chart.folder);
    if (failedDependencies) {
      rows.push({ target, profile: 'dependencies', objects: 0, findings: failedDependencies });
      continue;
    }
    if (chart.library) {
      // A library chart renders nothing by itself: lint it, render it through its users.
      jobs.push(async () => {
        log(`helm lint ${target}`);
        const findings = lintProblems(await helm.lint(chart.dir)).map((message) => ({
          rule: 'helm/lint',
          message,
        }));
        return { target, profile: '(library: lint)', objects: 0, findings };
      });
      continue;
    }
    const profiles = await listProfiles(chart.dir);
    const missing = REQUIRED_PROFILES.filter((profile) => !profiles.includes(profile));
    if (missing.length > 0) {
      rows.push({
        target,
        profile: 'profiles',
        objects: 0,
        findings: [
          {
            rule: 'profiles',
            message: `missing ci/${missing.map((p) => `${p}-values.yaml`).join(', ci/')} (every chart needs ${REQUIRED_PROFILES.join(', ')})`,
          },
        ],
      });
    }
    for (const profile of profiles) {
      jobs.push(() => renderAndCheck(chart, profile, charts, istio.main, helm, renders, log));
    }
  }
  rows.push(...(await runLimited(jobs, options.concurrency ?? os.availableParallelism())));
  if (!options.only) rows.push(...(await checkIstioFiles(istio, renders, charts)));
  return { rows: sortRows(rows), renders };
}

async function renderAndCheck(
  chart: ChartInfo,
  profile: string,
  charts: readonly ChartInfo[],
  istioFiles: readonly Manifest[],
  helm: Helm,
  renders: Map<string, Manifest[]>,
  log: (line: string) => void,
): Promise<Row> {
  const target = `charts/${chart.folder}`;
  const valuesFile = path.join(chart.dir, 'ci', `${profile}-values.yaml`);
  const release = chart.name;
  log(`helm lint + template ${target} -f ci/${profile}-values.yaml`);
  const [lint, template] = await Promise.all([
    helm.lint(chart.dir, valuesFile),
    helm.template(release, chart.dir, NAMESPACE, valuesFile),
  ]);
  const findings: Finding[] = lintProblems(lint).map((message) => ({ rule: 'helm/lint', message }));
  if (!template.ok) {
    findings.push({ rule: 'helm/template', message: template.stderr.trim() });
    return { target, profile, objects: 0, findings };
  }
  const parsed = parseManifests(template.stdout, `${target} (${profile})`);
  findings.push(...parsed.findings);
  const owned = parsed.manifests;
  renders.set(`${target}:${profile}`, owned);

  findings.push(...(await checkSchemas(owned.map((m) => ({ object: m.object, ref: refOf(m) })))));
  for (const manifest of owned) findings.push(...checkPolicy(manifest));

  // A chart that packages the others (the umbrella) stands alone; a service chart is deployed
  // beside the istio/ files, which define its VirtualService routes and DestinationRule.
  const context = isUmbrella(chart, charts) ? [] : withoutSameObjects(istioFiles, owned);
  findings.push(...checkConsistency({ owned, context, namespace: NAMESPACE }));
  return { target, profile, objects: owned.length, findings: withSource(findings, owned) };
}

/**
 * istio/*.yaml: schemas (their consistency is checked where the umbrella renders them). Each
 * istio/examples file replaces the objects of the same name, so it is checked on its own against
 * the rest of a full deployment: the umbrella's default render, else istio/ plus every chart.
 */
async function checkIstioFiles(
  istio: {
    main: Manifest[];
    mainFindings: Finding[];
    examples: Map<string, { manifests: Manifest[]; findings: Finding[] }>;
  },
  renders: ReadonlyMap<string, readonly Manifest[]>,
  charts: readonly ChartInfo[],
): Promise<Row[]> {
  const rows: Row[] = [];
  const schema = async (manifests: readonly Manifest[]) =>
    checkSchemas(manifests.map((m) => ({ object: m.object, ref: refOf(m) })));
  rows.push({
    target: 'istio',
    profile: '*.yaml',
    objects: istio.main.length,
    findings: withSource([...istio.mainFindings, ...(await schema(istio.main))], istio.main),
  });

  const umbrella = charts.find((chart) => isUmbrella(chart, charts));
  const deployment = dedupe([
    ...(umbrella ? (renders.get(`charts/${umbrella.folder}:default`) ?? []) : []),
    ...charts.flatMap((chart) => renders.get(`charts/${chart.folder}:default`) ?? []),
    ...istio.main,
  ]);
  for (const [file, example] of istio.examples) {
    const owned = example.manifests;
    const context = deployment.filter((manifest) => !owned.some((o) => sameIdentity(o, manifest)));
    const findings = [
      ...example.findings,
      ...(await schema(owned)),
      ...owned.flatMap((m) => checkPolicy(m)),
      ...checkConsistency({ owned, context, namespace: NAMESPACE }),
    ];
    rows.push({
      target: `istio/examples/${file}`,
      profile: 'replaces',
      objects: owned.length,
      findings: withSource(findings, owned),
    });
  }
  return rows;
}

async function readIstio(dir: string) {
  const main: Manifest[] = [];
  const mainFindings: Finding[] = [];
  const examples = new Map<string, { manifests: Manifest[]; findings: Finding[] }>();
  for (const file of await yamlFiles(dir)) {
    const parsed = parseManifests(await readFile(path.join(dir, file), 'utf8'), `istio/${file}`);
    main.push(...parsed.manifests);
    mainFindings.push(...parsed.findings);
  }
  for (const file of await yamlFiles(path.join(dir, 'examples'))) {
    const text = await readFile(path.join(dir, 'examples', file), 'utf8');
    examples.set(file, parseManifests(text, `istio/examples/${file}`));
  }
  return { main, mainFindings, examples };
}

async function yamlFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

async function discoverCharts(chartsDir: string): Promise<ChartInfo[]> {
  if (!existsSync(chartsDir)) return [];
  const charts: ChartInfo[] = [];
  for (const entry of (await readdir(chartsDir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const dir = path.join(chartsDir, entry.name);
    const chartFile = path.join(dir, 'Chart.yaml');
    if (!entry.isDirectory() || !existsSync(chartFile)) continue;
    const chart = (parseYaml(await readFile(chartFile, 'utf8')) ?? {}) as {
      name?: unknown;
      type?: unknown;
      dependencies?: { name?: unknown; repository?: unknown }[];
    };
    const dependencies = Array.isArray(chart.dependencies) ? chart.dependencies : [];
    charts.push({
      folder: entry.name,
      name: typeof chart.name === 'string' ? chart.name : entry.name,
      dir,
      library: chart.type === 'library',
      hasDependencies: dependencies.length > 0,
      localDependencies: dependencies
        .map((dependency) =>
          typeof dependency.repository === 'string'
            ? /^file:\/\/\.\.\/([^/]+)\/?$/.exec(dependency.repository)?.[1]
            : undefined,
        )
        .filter((name): name is string => name !== undefined),
    });
  }
  return charts;
}

/** A chart that packages application charts (`charts/nomaly`), not just the library. */
function isUmbrella(chart: ChartInfo, charts: readonly ChartInfo[]): boolean {
  return chart.localDependencies.some((folder) =>
    charts.some((c) => c.folder === folder && !c.library),
  );
}

/** The charts named by folder, and every chart they take by `file://`, transitively. */
function withDependencies(charts: readonly ChartInfo[], folders: readonly string[]): ChartInfo[] {
  const wanted = new Set(folders);
  for (let grew = true; grew;) {
    grew = false;
    for (const chart of charts) {
      if (!wanted.has(chart.folder)) continue;
      for (const dependency of chart.localDependencies) {
        if (!wanted.has(dependency)) {
          wanted.add(dependency);
          grew = true;
        }
      }
    }
  }
  return charts.filter((chart) => wanted.has(chart.folder));
}

function sortByDependencies(charts: readonly ChartInfo[]): ChartInfo[] {
  const byFolder = new Map(charts.map((chart) => [chart.folder, chart]));
  const ordered: ChartInfo[] = [];
  const visiting = new Set<string>();
  const visit = (chart: ChartInfo) => {
    if (ordered.includes(chart) || visiting.has(chart.folder)) return;
    visiting.add(chart.folder);
    for (const folder of chart.localDependencies) {
      const dependency = byFolder.get(folder);
      if (dependency) visit(dependency);
    }
    ordered.push(chart);
  };
  charts.forEach(visit);
  return ordered;
}

async function listProfiles(chartDir: string): Promise<string[]> {
  const dir = path.join(chartDir, 'ci');
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .map((file) => /^(.+)-values\.yaml$/.exec(file)?.[1])
    .filter((profile): profile is string => profile !== undefined)
    .sort();
}

function identity(manifest: Manifest): string {
  const group = (asString(manifest.object['apiVersion']) ?? '').split('/').slice(0, -1).join('/');
  return `${group}/${kindOf(manifest)}/${namespaceOf(manifest, NAMESPACE)}/${nameOf(manifest)}`;
}

function sameIdentity(a: Manifest, b: Manifest): boolean {
  return identity(a) === identity(b);
}

/** Context objects minus those the render contains unchanged (the umbrella renders istio/ files). */
function withoutSameObjects(context: readonly Manifest[], owned: readonly Manifest[]): Manifest[] {
  return context.filter(
    (c) => !owned.some((o) => sameIdentity(o, c) && isDeepStrictEqual(o.object, c.object)),
  );
}

function dedupe(manifests: readonly Manifest[]): Manifest[] {
  const seen = new Set<string>();
  return manifests.filter((manifest) => {
    const key = identity(manifest);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Adds the template an object came from to its findings, so a report points at the file to fix. */
function withSource(findings: readonly Finding[], manifests: readonly Manifest[]): Finding[] {
  const sources = new Map<string, string>();
  for (const manifest of manifests) {
    if (!sources.has(refOf(manifest))) sources.set(refOf(manifest), manifest.source);
  }
  return findings.map((finding) => {
    const source = finding.object ? sources.get(finding.object) : undefined;
    return source ? { ...finding, source } : finding;
  });
}

async function runLimited<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index];
      if (job) results[index] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return results;
}

function sortRows(rows: readonly Row[]): Row[] {
  return [...rows].sort(
    (a, b) => a.target.localeCompare(b.target) || a.profile.localeCompare(b.profile),
  );
}

/** The report: one table line per chart × profile, then every finding. */
export function formatReport(result: CheckResult): string {
  const header = ['target', 'profile', 'objects', 'errors'];
  const table = result.rows.map((row) => [
    row.target,
    row.profile,
    String(row.objects),
    String(row.findings.length),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((line) => (line[column] ?? '').length)),
  );
  const format = (line: string[]) =>
    line
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [
    format(header),
    format(widths.map((width) => '-'.repeat(width))),
    ...table.map(format),
  ];
  const total = result.rows.reduce((sum, row) => sum + row.findings.length, 0);
  if (total > 0) {
    lines.push('', `${total} error${total === 1 ? '' : 's'}:`);
    for (const row of result.rows) {
      for (const finding of row.findings) lines.push(formatFinding(row, finding));
    }
  } else {
    lines.push('', `no errors in ${result.rows.length} renders and file groups`);
  }
  return lines.join('\n');
}

export function formatFinding(row: Pick<Row, 'target' | 'profile'>, finding: Finding): string {
  const where = [finding.object, finding.path].filter(Boolean).join(' ');
  const source = finding.source ? ` (${finding.source})` : '';
  return `${row.target} [${row.profile}] ${where ? `${where}: ` : ''}${finding.message} [${finding.rule}]${source}`;
}
