import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  OTHER_NETWORKING_KINDS,
  RESOURCE_SHAPES,
  ROUTING_API_VERSIONS,
  type ResourceSpecs,
  type RoutingKind,
} from './resources.js';
import { checkShape, type ShapeReport } from './shape.js';

/** One checked Istio resource and where it came from. */
export interface Resource<K extends RoutingKind = RoutingKind> {
  readonly kind: K;
  readonly name: string;
  /** `metadata.namespace`, or `default` as kubectl would apply it without `-n`. */
  readonly namespace: string;
  readonly file: string;
  readonly spec: ResourceSpecs[K];
}

export interface IstioResources {
  readonly files: readonly string[];
  readonly gateways: ReadonlyArray<Resource<'Gateway'>>;
  readonly virtualServices: ReadonlyArray<Resource<'VirtualService'>>;
  readonly destinationRules: ReadonlyArray<Resource<'DestinationRule'>>;
  /** Istio fields and resources the local gateway does not implement (one line each). */
  readonly ignored: readonly string[];
  /** Worth a log line, not a warning: e.g. a resource replaced by a later file. */
  readonly notes: readonly string[];
  /** The text of every file read, to tell a real change from a touched file. */
  readonly fingerprint: string;
}

/** The configuration cannot be used; `problems` name file, resource and path each. */
export class IstioConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid Istio configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'IstioConfigError';
    this.problems = problems;
  }
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);
const ROUTING_KINDS: readonly string[] = Object.keys(RESOURCE_SHAPES);

/** How a file is named in messages: relative to the working directory when that is shorter. */
export function displayPath(file: string): string {
  const relativePath = relative(process.cwd(), file);
  return relativePath.length < file.length ? relativePath : file;
}

/**
 * The files `ISTIO_CONFIG` names: files as given, directories by their top-level `*.yaml` and
 * `*.yml` files in name order (like `kubectl apply -f dir`, which is not recursive either).
 */
export async function expandSources(sources: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const source of sources) {
    const path = resolve(source);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new IstioConfigError([`${source}: no such file or directory`]);
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && YAML_EXTENSIONS.has(extname(entry.name)))
      .map((entry) => entry.name)
      .sort();
    if (names.length === 0) throw new IstioConfigError([`${source}: no *.yaml files in it`]);
    files.push(...names.map((name) => join(path, name)));
  }
  return files;
}

/**
 * Reads and checks the Istio resources of `sources`. Every problem in every file is reported at
 * once; a later definition of the same resource replaces an earlier one, as a later
 * `kubectl apply` would.
 */
export async function loadIstioResources(sources: readonly string[]): Promise<IstioResources> {
  const files = await expandSources(sources);
  const problems: string[] = [];
  const ignored: string[] = [];
  const notes: string[] = [];
  const texts: string[] = [];
  const byKey = new Map<string, Resource>();

  for (const file of files) {
    const shown = displayPath(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push(`${shown}: cannot read: ${(error as Error).message}`);
      continue;
    }
    texts.push(`${file}\n${text}`);
    const documents = parseAllDocuments(text, { prettyErrors: true });
    const list = Array.isArray(documents) ? documents : [documents];
    list.forEach((document, index) => {
      const where = list.length > 1 ? `${shown} (document ${index + 1})` : shown;
      if (document.errors.length > 0) {
        for (const error of document.errors) problems.push(`${where}: ${error.message}`);
        return;
      }
      const value: unknown = document.toJS();
      if (value === null || value === undefined) return;
      const resource = checkDocument(value, file, where, problems, ignored);
      if (resource === undefined) return;
      const key = `${resource.kind}/${resource.namespace}/${resource.name}`;
      const previous = byKey.get(key);
      if (previous !== undefined) {
        notes.push(
          `${where}: ${describeResource(resource)} replaces the one in ${displayPath(previous.file)}`,
        );
        byKey.delete(key); // re-inserted below: order follows the file that defines it last
      }
      byKey.set(key, resource);
    });
  }
  if (problems.length > 0) throw new IstioConfigError(problems);

  const resources = [...byKey.values()];
  return {
    files,
    gateways: resources.filter((r): r is Resource<'Gateway'> => r.kind === 'Gateway'),
    virtualServices: resources.filter(
      (r): r is Resource<'VirtualService'> => r.kind === 'VirtualService',
    ),
    destinationRules: resources.filter(
      (r): r is Resource<'DestinationRule'> => r.kind === 'DestinationRule',
    ),
    ignored,
    notes,
    fingerprint: texts.join('\n\0\n'),
  };
}

/** `VirtualService nomaly/nomaly`, as messages name resources. */
export function describeResource(resource: Pick<Resource, 'kind' | 'namespace' | 'name'>): string {
  return `${resource.kind} ${resource.namespace}/${resource.name}`;
}

function checkDocument(
  value: unknown,
  file: string,
  where: string,
  problems: string[],
  ignored: string[],
): Resource | undefined {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    problems.push(
      `${where}: not a Kubernetes resource (expected a mapping with apiVersion and kind)`,
    );
    return undefined;
  }
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    problems.push(`${where}: apiVersion and kind are required strings`);
    return undefined;
  }
  const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<
    string,
    unknown
  >;
  const name = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  const label = `${where}: ${kind} ${namespace}/${name}`;

  if (!apiVersion.startsWith('networking.istio.io/')) {
    ignored.push(`${label} (${apiVersion})`);
    return undefined;
  }
  if (!(ROUTING_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    problems.push(`${label}: apiVersion must be one of ${ROUTING_API_VERSIONS.join(', ')}`);
    return undefined;
  }
  if ((OTHER_NETWORKING_KINDS as readonly string[]).includes(kind)) {
    ignored.push(label);
    return undefined;
  }
  if (!ROUTING_KINDS.includes(kind)) {
    problems.push(
      `${label}: unknown kind (networking.istio.io has ${[...ROUTING_KINDS, ...OTHER_NETWORKING_KINDS].join(', ')})`,
    );
    return undefined;
  }
  const routingKind = kind as RoutingKind;
  const report: ShapeReport = { errors: [], ignored: [] };
  checkShape(value, RESOURCE_SHAPES[routingKind], '', report);
  // Paths start with '.' from the root: show `spec.http[0]…`.
  for (const error of report.errors) problems.push(`${label}: ${error.replace(/^\./, '')}`);
  for (const path of report.ignored) ignored.push(`${label}: ${path.replace(/^\./, '')}`);
  if (report.errors.length > 0) return undefined;
  return {
    kind: routingKind,
    name,
    namespace,
    file,
    spec: (value as { spec: ResourceSpecs[RoutingKind] }).spec,
  };
}
