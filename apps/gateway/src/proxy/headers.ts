import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderEdits } from '../routing/table.js';

/** Connection-level headers (RFC 9110 §7.6.1) a proxy never forwards. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
] as const;

/**
 * Removes in place the hop-by-hop headers and those the `Connection` header names. In place
 * because these objects are fresh per message and copying them is most of a proxy's garbage.
 */
function stripHopByHop(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  // The common values name no other header.
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') {
    const text = Array.isArray(connection) ? connection.join(',') : connection;
    for (const token of text.split(',')) delete headers[token.trim().toLowerCase()];
  }
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) delete headers[name];
  }
}

/**
 * The client's headers, made ready to forward (in place): hop-by-hop headers go, and so does
 * `expect` — Node answers `100-continue` to the client itself and the upstream gets the body.
 */
export function forwardableRequestHeaders(
  headers: IncomingHttpHeaders,
): Record<string, string | string[]> {
  stripHopByHop(headers);
  if (headers.expect !== undefined) delete headers.expect;
  return headers as Record<string, string | string[]>;
}

/** The upstream's response headers without the hop-by-hop ones (in place). */
export function forwardableResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  stripHopByHop(headers);
  return headers;
}

/** Applies Istio `headers.*` edits in place: remove, then set (replace), then add (append). */
export function applyHeaderEdits(
  headers: Record<string, string | string[] | number | undefined>,
  edits: HeaderEdits | undefined,
): void {
  if (edits === undefined) return;
  for (const name of edits.remove) delete headers[name];
  for (const [name, value] of edits.set) headers[name] = value;
  for (const [name, value] of edits.add) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) headers[name] = [...existing, value];
    else headers[name] = [String(existing), value];
  }
}
