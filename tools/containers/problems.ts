/** One thing wrong in a checked file: the file, where in it (line, service, panel), and what. */
export interface Problem {
  readonly file: string;
  readonly where?: string;
  readonly message: string;
}

/** `file: where: message`, the form the check prints one per line. */
export function formatProblem(problem: Problem): string {
  return problem.where === undefined
    ? `${problem.file}: ${problem.message}`
    : `${problem.file}: ${problem.where}: ${problem.message}`;
}

/** A value as a message shows it: strings as they are, anything else as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? 'undefined';
}

/** A plain object (YAML mapping / JSON object), not an array or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether an image reference is pinned: a digest, or a tag that carries at least
 * `major.minor` (`node:22.23.3-bookworm-slim`, `postgres:15.20-bookworm`, `prom/prometheus:v2.55.1`).
 * Returns the reason when it is not, undefined when it is.
 */
export function unpinnedImageReason(reference: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return undefined;
  // The tag is after the last colon that follows the last slash (a registry may carry a port).
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  if (colon < 0) return `"${reference}" has no tag (it means latest)`;
  const tag = reference.slice(colon + 1);
  if (tag === '' || tag.toLowerCase() === 'latest') return `"${reference}" uses the latest tag`;
  if (!/\d+\.\d+/.test(tag)) {
    return `"${reference}" has a floating tag "${tag}": pin at least major.minor (or a digest)`;
  }
  return undefined;
}
