/**
 * Kubernetes manifests as the checks see them: parsed YAML documents with where they came from,
 * plus the small helpers every check shares (references, label matching, host names, paths).
 */
import { parseAllDocuments } from 'yaml';

/** A JSON object (what YAML mappings parse to). */
export type JsonObject = { [key: string]: unknown };

/** One rendered Kubernetes object and where it came from. */
export interface Manifest {
  /** The parsed document. */
  readonly object: JsonObject;
  /** Template (`# Source:` line of helm output) or file the document came from. */
  readonly source: string;
}

/** One problem found by any check. */
export interface Finding {
  /** Rule id, e.g. `schema`, `unknown-field`, `policy/run-as-non-root`, `consistency/route`. */
  readonly rule: string;
  /** `Kind/name` of the object, when the problem belongs to one. */
  readonly object?: string;
  /** JSON path inside the object, e.g. `spec.template.spec.containers[0].image`. */
  readonly path?: string;
  readonly message: string;
  /** Template or file the object came from (added by the chart check). */
  readonly source?: string;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `keys` below `value`, or undefined when any step is missing or of another type. */
export function dig(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key] as unknown;
    } else {
      if (!isObject(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

export function asObject(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** String-to-string map (labels, selectors); entries with other value types are dropped. */
export function asLabels(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isObject(value)) {
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry === 'string') result[key] = entry;
    }
  }
  return result;
}

export function kindOf(manifest: Manifest): string {
  return asString(manifest.object['kind']) ?? '<no kind>';
}

export function nameOf(manifest: Manifest): string {
  return asString(dig(manifest.object, 'metadata', 'name')) ?? '<no name>';
}

/** `Kind/name`, the way errors name an object. */
export function refOf(manifest: Manifest): string {
  return `${kindOf(manifest)}/${nameOf(manifest)}`;
}

/** The object's namespace, or the render's namespace when the template leaves it out. */
export function namespaceOf(manifest: Manifest, defaultNamespace: string): string {
  return asString(dig(manifest.object, 'metadata', 'namespace')) ?? defaultNamespace;
}

/** True when every entry of `selector` is in `labels` (an empty selector matches nothing here). */
export function selectorMatches(
  selector: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/**
 * Whether a LabelSelector (`matchLabels` + `matchExpressions`) selects `labels`. An empty
 * selector selects nothing here: in a ServiceMonitor or PDB it is almost always a mistake.
 */
export function labelSelectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const matchLabels = asLabels(dig(selector, 'matchLabels'));
  const expressions = asArray(dig(selector, 'matchExpressions'));
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) return false;
  return expressions.every((expression) => {
    const key = asString(dig(expression, 'key')) ?? '';
    const values = asArray(dig(expression, 'values'));
    switch (dig(expression, 'operator')) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}

/** JSON path segments as `a.b[0].c`; keys that are not identifiers are quoted (`labels["app.kubernetes.io/name"]`). */
export function formatPath(segments: readonly (string | number)[]): string {
  let result = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      result += `[${segment}]`;
    } else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) {
      result += result ? `.${segment}` : segment;
    } else {
      result += `[${JSON.stringify(segment)}]`;
    }
  }
  return result;
}

/**
 * Splits a multi-document YAML stream. Empty documents (helm emits them for templates that
 * render nothing) are dropped; `kind: List` documents are flattened into their items.
 *
 * @param text the YAML stream
 * @param source name used for documents without a `# Source:` comment (a file path)
 * @returns the objects and one finding per YAML syntax error or non-mapping document
 */
export function parseManifests(
  text: string,
  source: string,
): { manifests: Manifest[]; findings: Finding[] } {
  const manifests: Manifest[] = [];
  const findings: Finding[] = [];
  for (const document of parseAllDocuments(text, { uniqueKeys: true })) {
    // yaml attaches a leading comment to the document or, without a blank line after it, to
    // the first node.
    const origin =
      helmSource(document.commentBefore) ??
      helmSource((document.contents as { commentBefore?: string } | null)?.commentBefore) ??
      source;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        findings.push({ rule: 'yaml', message: `${origin}: ${error.message}` });
      }
      continue;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isObject(value)) {
      findings.push({
        rule: 'yaml',
        message: `${origin}: a document is a ${Array.isArray(value) ? 'sequence' : typeof value}, not a Kubernetes object`,
      });
      continue;
    }
    if (value['kind'] === 'List' && Array.isArray(value['items'])) {
      value['items'].forEach((item, index) => {
        if (isObject(item)) manifests.push({ object: item, source: `${origin} items[${index}]` });
      });
      continue;
    }
    manifests.push({ object: value, source: origin });
  }
  return { manifests, findings };
}

function helmSource(comment: string | null | undefined): string | undefined {
  const match = /^\s*Source:\s*(\S+)/m.exec(comment ?? '');
  return match?.[1];
}

/**
 * The in-cluster Service a host name means, or undefined for any other name. Like Istio, only a
 * name without a dot is short (it means the object's own namespace); every other name must be
 * the full `<svc>.<ns>.svc.cluster.local` (Istio takes `svc.ns` literally, and it resolves to
 * nothing).
 */
export function serviceHost(
  host: string,
  defaultNamespace: string,
): { name: string; namespace: string } | undefined {
  const match = /^([a-z0-9-]+)(?:\.([a-z0-9-]+)\.svc\.cluster\.local)?$/.exec(host);
  if (!match?.[1]) return undefined;
  return { name: match[1], namespace: match[2] ?? defaultNamespace };
}
