import { canonicalHost } from '../config/hosts.js';
import { upstreamFor, type UpstreamMap } from '../config/upstreams.js';
import { parseDuration } from '../istio/duration.js';
import {
  describeResource,
  displayPath,
  IstioConfigError,
  type IstioResources,
  type Resource,
} from '../istio/load.js';
import type { HeaderOperations, HttpRoute, Percent, TrafficPolicy } from '../istio/resources.js';
import { poolPolicy, type Upstream } from '../proxy/pools.js';
import { compileMatch, compileRegex, type CompiledMatch, type RequestView } from './match.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';

/** Header edits of `headers.request` or `headers.response`, names lower-cased. */
export interface HeaderEdits {
  readonly set: ReadonlyArray<readonly [string, string]>;
  readonly add: ReadonlyArray<readonly [string, string]>;
  readonly remove: readonly string[];
}

export interface CompiledDestination {
  /** Short service name: Istio's `destination_service_name`. */
  readonly serviceName: string;
  /** `name.namespace.svc.cluster.local`: Istio's `destination_service`. */
  readonly serviceFqdn: string;
  readonly subset: string | undefined;
  /** Envoy's cluster name, `outbound|<port>|<subset>|<fqdn>`, labelling its counters. */
  readonly clusterName: string;
  readonly weight: number;
  /** Where it runs locally; undefined answers 503 `no healthy upstream`. */
  readonly upstream: Upstream | undefined;
  readonly requestHeaders: HeaderEdits | undefined;
  readonly responseHeaders: HeaderEdits | undefined;
}

export type RouteAction =
  | {
      readonly kind: 'forward';
      readonly destinations: readonly CompiledDestination[];
      readonly totalWeight: number;
    }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: RedirectTarget }
  | { readonly kind: 'direct'; readonly status: number; readonly body: Buffer | undefined };

export interface RedirectTarget {
  readonly uri: string | undefined;
  readonly authority: string | undefined;
  readonly port: number | undefined;
  readonly scheme: string | undefined;
}

export interface CompiledRoute {
  /** The route's `name`, else `<virtual service>.<index>`: names it in logs. */
  readonly name: string;
  /** Empty: the route matches every request. */
  readonly matches: readonly CompiledMatch[];
  readonly action: RouteAction;
  readonly rewrite:
    | {
        readonly uri: string | undefined;
        readonly uriRegex: { readonly pattern: RegExp; readonly replacement: string } | undefined;
        readonly authority: string | undefined;
      }
    | undefined;
  /** 0: no route timeout (Istio's default). */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly fault:
    | {
        readonly delayMs: number;
        readonly delayFraction: number;
        readonly abortStatus: number;
        readonly abortFraction: number;
      }
    | undefined;
  readonly requestHeaders: HeaderEdits | undefined;
  readonly responseHeaders: HeaderEdits | undefined;
}

/** The routes of one VirtualService host on the gateway. */
interface VirtualHost {
  readonly routes: CompiledRoute[];
}

/** The result of matching: the route, and the prefix its matching `uri.prefix` consumed. */
export interface RouteMatch {
  readonly route: CompiledRoute;
  readonly uriPrefix: string | undefined;
}

/**
 * One gateway's routing, built from Istio resources: virtual hosts by the VirtualServices'
 * hosts, each with its routes in order. Immutable; a reload builds a new table and swaps it.
 */
export class RoutingTable {
  constructor(
    /** `namespace/name` of the Gateway served. */
    readonly gateway: string,
    private readonly exact: ReadonlyMap<string, VirtualHost>,
    /** `*.suffix` hosts, longest suffix first (the most specific wins, as in Envoy). */
    private readonly wildcards: ReadonlyArray<readonly [string, VirtualHost]>,
    private readonly any: VirtualHost | undefined,
    readonly routeCount: number,
    readonly upstreams: ReadonlySet<Upstream>,
    readonly warnings: readonly string[],
  ) {}

  /** The first route (in order) whose match list holds for the request, or undefined (404). */
  match(request: RequestView): RouteMatch | undefined {
    const host = hostWithoutPort(request.authority);
    let virtualHost = this.exact.get(host);
    if (virtualHost === undefined) {
      for (const [suffix, candidate] of this.wildcards) {
        if (host.endsWith(suffix) && host.length > suffix.length) {
          virtualHost = candidate;
          break;
        }
      }
    }
    virtualHost ??= this.any;
    if (virtualHost === undefined) return undefined;
    for (const route of virtualHost.routes) {
      if (route.matches.length === 0) return { route, uriPrefix: undefined };
      for (const match of route.matches) {
        if (match.test(request)) return { route, uriPrefix: match.uriPrefix };
      }
    }
    return undefined;
  }
}

function hostWithoutPort(authority: string): string {
  const host = authority.toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Whether two host patterns (exact, `*.suffix` or `*`) can name the same host. */
function hostsIntersect(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const aWild = a.startsWith('*.');
  const bWild = b.startsWith('*.');
  if (aWild && bWild) return a.slice(1).endsWith(b.slice(1)) || b.slice(1).endsWith(a.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

export interface BuildOptions {
  /** `GATEWAY_NAME`: `name` or `namespace/name`; unset: the only Gateway. */
  readonly gatewayName: string | undefined;
  readonly upstreams: UpstreamMap;
  readonly acquire: (origin: string, policy: ReturnType<typeof poolPolicy>) => Upstream;
}

/** Builds the routing table, or throws IstioConfigError naming every problem. */
export function buildRoutingTable(resources: IstioResources, options: BuildOptions): RoutingTable {
  const problems: string[] = [];
  const warnings: string[] = [];
  const gateway = selectGateway(resources, options.gatewayName);
  const gatewayKey = `${gateway.namespace}/${gateway.name}`;
  const selector = gateway.spec.selector ?? {};
  const gatewayHosts = gateway.spec.servers
    .filter((server) => ['HTTP', 'HTTPS', 'HTTP2'].includes(server.port.protocol.toUpperCase()))
    .flatMap((server) => server.hosts.map((host) => host.slice(host.indexOf('/') + 1)));

  const rules = new Map<string, Resource<'DestinationRule'>>();
  for (const rule of resources.destinationRules) rules.set(canonicalHost(rule.spec.host), rule);

  const bindsHere = (names: readonly string[], namespace: string) =>
    names.some((name) => (name.includes('/') ? name : `${namespace}/${name}`) === gatewayKey);

  const exact = new Map<string, VirtualHost>();
  const wildcards = new Map<string, VirtualHost>();
  let any: VirtualHost | undefined;
  const upstreamsInUse = new Set<Upstream>();
  let routeCount = 0;

  for (const service of resources.virtualServices) {
    if (!bindsHere(service.spec.gateways ?? [], service.namespace)) continue;
    const label = `${displayPath(service.file)}: ${describeResource(service)}`;
    const routes: CompiledRoute[] = [];
    (service.spec.http ?? []).forEach((route, index) => {
      const path = `spec.http[${index}]`;
      try {
        routes.push(
          compileRoute(route, {
            name: route.name ?? `${service.name}.${index}`,
            namespace: service.namespace,
            gatewayMatches: (names) => bindsHere(names, service.namespace),
            selector,
            rules,
            options,
            upstreamsInUse,
            warn: (message) => warnings.push(`${label}: ${path}${message}`),
          }),
        );
      } catch (error) {
        problems.push(`${label}: ${path}${(error as Error).message}`);
      }
    });
    routeCount += routes.length;
    for (const rawHost of service.spec.hosts ?? []) {
      const host = rawHost.toLowerCase();
      if (!gatewayHosts.some((gatewayHost) => hostsIntersect(gatewayHost, host))) {
        warnings.push(`${label}: host "${rawHost}" is not among the hosts of ${gatewayKey}`);
        continue;
      }
      const target = host === '*' ? undefined : host.startsWith('*.') ? wildcards : exact;
      const key = host.startsWith('*.') ? host.slice(1) : host;
      // Several VirtualServices for one host on a gateway are merged, in load order.
      const existing = target === undefined ? any : target.get(key);
      const virtualHost = existing ?? { routes: [] };
      virtualHost.routes.push(...routes);
      if (target === undefined) any = virtualHost;
      else target.set(key, virtualHost);
    }
  }
  if (problems.length > 0) throw new IstioConfigError(problems);
  if (routeCount === 0) {
    warnings.push(
      `no VirtualService with HTTP routes is bound to ${gatewayKey}: every request is 404`,
    );
  }
  return new RoutingTable(
    gatewayKey,
    exact,
    [...wildcards].sort(([a], [b]) => b.length - a.length),
    any,
    routeCount,
    upstreamsInUse,
    warnings,
  );
}

function selectGateway(
  resources: IstioResources,
  gatewayName: string | undefined,
): Resource<'Gateway'> {
  const gateways = resources.gateways;
  const where = resources.files.map(displayPath).join(', ');
  if (gatewayName === undefined) {
    if (gateways.length === 1 && gateways[0] !== undefined) return gateways[0];
    throw new IstioConfigError([
      gateways.length === 0
        ? `no Gateway in ${where}`
        : `${gateways.length} Gateways (${gateways.map((g) => `${g.namespace}/${g.name}`).join(', ')}): set GATEWAY_NAME to the one to serve`,
    ]);
  }
  const found = gateways.filter((g) =>
    gatewayName.includes('/') ? `${g.namespace}/${g.name}` === gatewayName : g.name === gatewayName,
  );
  if (found.length === 1 && found[0] !== undefined) return found[0];
  throw new IstioConfigError([
    found.length === 0
      ? `GATEWAY_NAME ${gatewayName}: no such Gateway in ${where}`
      : `GATEWAY_NAME ${gatewayName}: several Gateways have that name; use namespace/name`,
  ]);
}

interface RouteContext {
  readonly name: string;
  readonly namespace: string;
  readonly gatewayMatches: (names: readonly string[]) => boolean;
  readonly selector: Readonly<Record<string, string>>;
  readonly rules: ReadonlyMap<string, Resource<'DestinationRule'>>;
  readonly options: BuildOptions;
  readonly upstreamsInUse: Set<Upstream>;
  /** Takes a message starting with the sub-path (`.route[0]…: …`). */
  readonly warn: (message: string) => void;
}

/** Throws an Error whose message starts with the sub-path of the problem (`.match[0]…: …`). */
function compileRoute(route: HttpRoute, context: RouteContext): CompiledRoute {
  const at = <T>(path: string, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
    }
  };
  const matches = (route.match ?? []).map((match, index) =>
    at(`.match[${index}]`, () => compileMatch(match, context.gatewayMatches, context.selector)),
  );
  const timeoutMs = route.timeout === undefined ? 0 : (parseDuration(route.timeout) ?? 0);
  return {
    name: context.name,
    matches,
    action: compileAction(route, context),
    rewrite:
      route.rewrite === undefined
        ? undefined
        : {
            uri: route.rewrite.uri,
            authority: route.rewrite.authority,
            uriRegex:
              route.rewrite.uriRegexRewrite?.match === undefined
                ? undefined
                : at('.rewrite.uriRegexRewrite.match', () => ({
                    pattern: compileRegex(route.rewrite?.uriRegexRewrite?.match ?? '', 'g'),
                    // RE2 writes group references as \1; JavaScript as $1.
                    replacement: (route.rewrite?.uriRegexRewrite?.rewrite ?? '').replace(
                      /\\(\d)/g,
                      '$$$1',
                    ),
                  })),
          },
    timeoutMs,
    retry: at('.retries', () => compileRetryPolicy(route.retries)),
    fault:
      route.fault === undefined
        ? undefined
        : {
            delayMs: parseDuration(route.fault.delay?.fixedDelay ?? '0s') ?? 0,
            delayFraction: fraction(route.fault.delay?.percentage, route.fault.delay?.percent),
            abortStatus: route.fault.abort?.httpStatus ?? 0,
            abortFraction:
              route.fault.abort?.httpStatus === undefined
                ? 0
                : fraction(route.fault.abort.percentage, undefined),
          },
    requestHeaders: headerEdits(route.headers?.request),
    responseHeaders: headerEdits(route.headers?.response),
  };
}

/** Istio: an unspecified percentage injects into no request. */
function fraction(percentage: Percent | undefined, percent: number | undefined): number {
  if (percentage?.value !== undefined) return percentage.value / 100;
  return (percent ?? 0) / 100;
}

function compileAction(route: HttpRoute, context: RouteContext): RouteAction {
  if (route.redirect !== undefined) {
    return {
      kind: 'redirect',
      status: route.redirect.redirectCode ?? 301,
      location: {
        uri: route.redirect.uri,
        authority: route.redirect.authority,
        port: route.redirect.port,
        scheme: route.redirect.scheme,
      },
    };
  }
  if (route.directResponse !== undefined) {
    const body = route.directResponse.body;
    return {
      kind: 'direct',
      status: route.directResponse.status,
      body:
        body?.string !== undefined
          ? Buffer.from(body.string, 'utf8')
          : body?.bytes !== undefined
            ? Buffer.from(body.bytes, 'base64')
            : undefined,
    };
  }
  const targets = route.route ?? [];
  if (targets.length === 0) throw new Error(': needs route, redirect or directResponse');
  const destinations = targets.map((target, index): CompiledDestination => {
    const { host, subset } = target.destination;
    const serviceName = canonicalHost(host);
    const rule = context.rules.get(serviceName);
    const subsetRule = rule?.spec.subsets?.find((s) => s.name === subset);
    if (subset !== undefined && subsetRule === undefined) {
      context.warn(
        `.route[${index}].destination: subset "${subset}" of ${host} is in no DestinationRule (Envoy has no such cluster: 503)`,
      );
    }
    const origin =
      subset !== undefined && subsetRule === undefined
        ? undefined
        : upstreamFor(context.options.upstreams, host, subset);
    const policy = poolPolicy(mergePools(rule?.spec.trafficPolicy, subsetRule?.trafficPolicy));
    const upstream = origin === undefined ? undefined : context.options.acquire(origin, policy);
    if (upstream !== undefined) context.upstreamsInUse.add(upstream);
    const serviceFqdn = fqdn(host, context.namespace);
    return {
      serviceName,
      serviceFqdn,
      subset,
      clusterName: `outbound|${target.destination.port?.number ?? 80}|${subset ?? ''}|${serviceFqdn}`,
      // A lone destination takes all traffic whatever its weight says.
      weight: targets.length === 1 ? 100 : (target.weight ?? 0),
      upstream,
      requestHeaders: headerEdits(target.headers?.request),
      responseHeaders: headerEdits(target.headers?.response),
    };
  });
  const totalWeight = destinations.reduce((sum, d) => sum + d.weight, 0);
  if (totalWeight === 0) throw new Error('.route: the weights add up to 0');
  return { kind: 'forward', destinations, totalWeight };
}

/** A subset's policy overrides the host's, field by field. */
function mergePools(
  host: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
): TrafficPolicy['connectionPool'] {
  const a = host?.connectionPool;
  const b = subset?.connectionPool;
  if (b === undefined) return a;
  return { tcp: { ...a?.tcp, ...b.tcp }, http: { ...a?.http, ...b.http } };
}

function fqdn(host: string, namespace: string): string {
  const name = host.toLowerCase();
  if (name.endsWith('.svc.cluster.local')) return name;
  if (name.endsWith('.svc')) return `${name}.cluster.local`;
  const parts = name.split('.');
  if (parts.length === 1) return `${name}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${name}.svc.cluster.local`;
  return name;
}

function headerEdits(operations: HeaderOperations | undefined): HeaderEdits | undefined {
  if (operations === undefined) return undefined;
  const lower = (record: Readonly<Record<string, string>> | undefined) =>
    Object.entries(record ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const);
  return {
    set: lower(operations.set),
    add: lower(operations.add),
    remove: (operations.remove ?? []).map((name) => name.toLowerCase()),
  };
}
