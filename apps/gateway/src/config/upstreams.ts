import { canonicalHost } from './hosts.js';

/** Where each mesh host (and optionally each subset of it) runs on this machine. */
export interface UpstreamMap {
  /** By canonical host: the URL for every subset without its own entry. */
  readonly hosts: ReadonlyMap<string, string>;
  /** By `host/subset` (canonical host). */
  readonly subsets: ReadonlyMap<string, string>;
}

/** The services at their ARCHITECTURE.md ports on this machine. */
export const DEFAULT_UPSTREAMS =
  'auth-service=http://127.0.0.1:8003,dataset-service=http://127.0.0.1:8001,' +
  'model-service=http://127.0.0.1:8002,detector-service=http://127.0.0.1:8000';

/**
 * Parses `GATEWAY_UPSTREAMS`: comma-separated `host=URL` and `host/subset=URL` entries, e.g.
 * `detector-service=http://127.0.0.1:8000,detector-service/canary=http://127.0.0.1:18000`.
 * Throws an Error naming the first bad entry.
 */
export function parseUpstreams(text: string): UpstreamMap {
  const hosts = new Map<string, string>();
  const subsets = new Map<string, string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new Error(`"${entry}" is not host=URL or host/subset=URL`);
    const key = entry.slice(0, equals).trim();
    const url = entry.slice(equals + 1).trim();
    const [host = '', subset, extra] = key.split('/');
    if (host === '' || subset === '' || extra !== undefined || !/^[a-z0-9.*-]+$/i.test(host)) {
      throw new Error(`"${key}" in "${entry}" is not a host or host/subset`);
    }
    const origin = upstreamOrigin(url, entry);
    const map = subset === undefined ? hosts : subsets;
    const name = subset === undefined ? canonicalHost(host) : `${canonicalHost(host)}/${subset}`;
    if (map.has(name)) throw new Error(`"${key}" is listed twice`);
    map.set(name, origin);
  }
  return { hosts, subsets };
}

function upstreamOrigin(url: string, entry: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" in "${entry}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`"${url}" in "${entry}" must use http:// or https://`);
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '') {
    throw new Error(`"${url}" in "${entry}" must be an origin (no path or query)`);
  }
  return parsed.origin;
}

/** The local URL of a destination: its subset's entry, else its host's, else none. */
export function upstreamFor(
  upstreams: UpstreamMap,
  host: string,
  subset: string | undefined,
): string | undefined {
  const name = canonicalHost(host);
  return (
    (subset === undefined ? undefined : upstreams.subsets.get(`${name}/${subset}`)) ??
    upstreams.hosts.get(name)
  );
}
