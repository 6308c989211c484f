import type { IncomingHttpHeaders } from 'node:http';
import type { HttpMatchRequest, StringMatch } from '../istio/resources.js';

/** What route matching looks at in a request. */
export interface RequestView {
  readonly method: string;
  /** The normalized path without the query string. */
  readonly path: string;
  /** The query string without `?` ('' when none). */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The Host header as sent (`:authority`). */
  readonly authority: string;
  /** The scheme the client used to reach this listener. */
  readonly scheme: string;
}

export type Predicate = (value: string) => boolean;

/**
 * Envoy's regex matching is RE2 and always whole-string; JavaScript's syntax agrees for the
 * expressions routes use. Throws an Error naming the expression when it does not compile.
 */
export function fullMatchRegex(source: string, flags = ''): RegExp {
  compileRegex(source);
  return new RegExp(`^(?:${source})$`, flags);
}

/** A regular expression, or an Error naming the one that does not compile. */
export function compileRegex(source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new Error(`regex "${source}" does not compile: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A StringMatch as a predicate; `{}` matches any value (header presence). */
export function compileStringMatch(match: StringMatch, ignoreCase = false): Predicate {
  if (match.exact !== undefined) {
    const expected = ignoreCase ? match.exact.toLowerCase() : match.exact;
    return ignoreCase ? (v) => v.toLowerCase() === expected : (v) => v === expected;
  }
  if (match.prefix !== undefined) {
    const prefix = ignoreCase ? match.prefix.toLowerCase() : match.prefix;
    return ignoreCase ? (v) => v.toLowerCase().startsWith(prefix) : (v) => v.startsWith(prefix);
  }
  if (match.regex !== undefined) {
    const regex = fullMatchRegex(match.regex, ignoreCase ? 'i' : '');
    return (v) => regex.test(v);
  }
  return () => true;
}

/** One entry of a route's `match` list, compiled. */
export interface CompiledMatch {
  test(request: RequestView): boolean;
  /** The prefix `uri.prefix` matched on, for `rewrite.uri` (which replaces just that). */
  readonly uriPrefix: string | undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Compiles one `HTTPMatchRequest`: every condition in it must hold (AND). `gatewayMatches`
 * answers for the `gateways` condition; `selector` is the gateway workload's labels, which
 * `sourceLabels` are compared with (the ingress gateway is the source of its requests).
 */
export function compileMatch(
  match: HttpMatchRequest,
  gatewayMatches: (names: readonly string[]) => boolean,
  selector: Readonly<Record<string, string>>,
): CompiledMatch {
  const checks: Array<(request: RequestView) => boolean> = [];
  const ignoreCase = match.ignoreUriCase === true;
  if (match.uri !== undefined) {
    const uri = compileStringMatch(match.uri, ignoreCase);
    checks.push((r) => uri(r.path));
  }
  if (match.scheme !== undefined) {
    const scheme = compileStringMatch(match.scheme);
    checks.push((r) => scheme(r.scheme));
  }
  if (match.method !== undefined) {
    const method = compileStringMatch(match.method);
    checks.push((r) => method(r.method));
  }
  if (match.authority !== undefined) {
    const authority = compileStringMatch(match.authority);
    checks.push((r) => authority(r.authority));
  }
  for (const [name, stringMatch] of Object.entries(match.headers ?? {})) {
    const header = name.toLowerCase();
    const test = compileStringMatch(stringMatch);
    checks.push((r) => {
      const value = headerValue(r.headers, header);
      return value !== undefined && test(value);
    });
  }
  for (const [name, stringMatch] of Object.entries(match.withoutHeaders ?? {})) {
    const header = name.toLowerCase();
    const test = compileStringMatch(stringMatch);
    checks.push((r) => {
      const value = headerValue(r.headers, header);
      return value === undefined || !test(value);
    });
  }
  const queryParams = Object.entries(match.queryParams ?? {}).map(
    ([name, stringMatch]) => [name, compileStringMatch(stringMatch)] as const,
  );
  if (queryParams.length > 0) {
    checks.push((r) => {
      const params = new URLSearchParams(r.query);
      return queryParams.every(([name, test]) => {
        const value = params.get(name);
        return value !== null && test(value);
      });
    });
  }
  if (match.gateways !== undefined && match.gateways.length > 0) {
    const applies = gatewayMatches(match.gateways);
    checks.push(() => applies);
  }
  if (match.sourceLabels !== undefined) {
    const fromThisGateway = Object.entries(match.sourceLabels).every(
      ([key, value]) => selector[key] === value,
    );
    checks.push(() => fromThisGateway);
  }
  return {
    test: (request) => checks.every((check) => check(request)),
    uriPrefix: match.uri?.prefix,
  };
}
