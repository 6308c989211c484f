import {
  any,
  array,
  boolean,
  duration,
  ignored,
  integer,
  map,
  number,
  object,
  string,
  type Shape,
} from './shape.js';

/**
 * The Istio networking resources the local gateway reads (networking.istio.io/v1, also
 * v1beta1 and v1alpha3, which have the same fields), as shapes to check them by and as the types
 * they have once checked. Field names and meanings follow Istio's reference documentation.
 */

export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface Headers {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

export interface HttpMatchRequest {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  readonly ignoreUriCase?: boolean;
  readonly gateways?: readonly string[];
  readonly sourceLabels?: Readonly<Record<string, string>>;
}

export interface Destination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number?: number };
}

export interface HttpRouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
  readonly headers?: Headers;
}

export interface Percent {
  readonly value?: number;
}

export interface HttpRoute {
  readonly name?: string;
  readonly match?: readonly HttpMatchRequest[];
  readonly route?: readonly HttpRouteDestination[];
  readonly redirect?: {
    readonly uri?: string;
    readonly authority?: string;
    readonly port?: number;
    readonly scheme?: string;
    readonly redirectCode?: number;
  };
  readonly directResponse?: {
    readonly status: number;
    readonly body?: { readonly string?: string; readonly bytes?: string };
  };
  readonly rewrite?: {
    readonly uri?: string;
    readonly authority?: string;
    readonly uriRegexRewrite?: { readonly match?: string; readonly rewrite?: string };
  };
  readonly timeout?: string;
  readonly retries?: {
    readonly attempts?: number;
    readonly perTryTimeout?: string;
    readonly retryOn?: string;
  };
  readonly fault?: {
    readonly delay?: {
      readonly fixedDelay?: string;
      readonly percentage?: Percent;
      readonly percent?: number;
    };
    readonly abort?: { readonly httpStatus?: number; readonly percentage?: Percent };
  };
  readonly headers?: Headers;
}

export interface VirtualServiceSpec {
  readonly hosts?: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HttpRoute[];
}

export interface GatewayServer {
  readonly port: { readonly number: number; readonly protocol: string; readonly name?: string };
  readonly hosts: readonly string[];
  readonly tls?: { readonly httpsRedirect?: boolean };
  readonly name?: string;
}

export interface GatewaySpec {
  readonly selector?: Readonly<Record<string, string>>;
  readonly servers: readonly GatewayServer[];
}

export interface ConnectionPool {
  readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly idleTimeout?: string;
  };
}

export interface TrafficPolicy {
  readonly connectionPool?: ConnectionPool;
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: ReadonlyArray<{
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly trafficPolicy?: TrafficPolicy;
  }>;
}

export interface ResourceSpecs {
  readonly Gateway: GatewaySpec;
  readonly VirtualService: VirtualServiceSpec;
  readonly DestinationRule: DestinationRuleSpec;
}

export type RoutingKind = keyof ResourceSpecs;

const stringMatch = object(
  { exact: string(), prefix: string(), regex: string() },
  { oneOf: ['exact', 'prefix', 'regex'] },
);
const percent = object({ value: number(0, 100) });
const headerOperations = object({
  set: map(string()),
  add: map(string()),
  remove: array(string()),
});
const headers = object({ request: headerOperations, response: headerOperations });

const matchRequest = object({
  name: string(),
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: map(stringMatch),
  queryParams: map(stringMatch),
  withoutHeaders: map(stringMatch),
  ignoreUriCase: boolean,
  gateways: array(string()),
  sourceLabels: map(string()),
  port: ignored,
  sourceNamespace: ignored,
  statPrefix: ignored,
});

const destination = object(
  {
    host: string(),
    subset: string(),
    port: object({ number: integer(1, 65_535) }),
  },
  { required: ['host'] },
);

const httpRoute = object(
  {
    name: string(),
    match: array(matchRequest),
    route: array(
      object({ destination, weight: integer(0, 100_000), headers }, { required: ['destination'] }),
    ),
    redirect: object({
      uri: string(),
      authority: string(),
      port: integer(1, 65_535),
      derivePort: ignored,
      scheme: string(),
      redirectCode: integer(300, 399),
    }),
    directResponse: object(
      {
        status: integer(200, 599),
        body: object({ string: string(), bytes: string() }, { oneOf: ['string', 'bytes'] }),
      },
      { required: ['status'] },
    ),
    delegate: ignored,
    rewrite: object({
      uri: string(),
      authority: string(),
      uriRegexRewrite: object({ match: string(), rewrite: string() }, { required: ['match'] }),
    }),
    timeout: duration,
    retries: object({
      attempts: integer(0, 1_000),
      perTryTimeout: duration,
      retryOn: string(),
      retryRemoteLocalities: ignored,
      retryIgnorePreviousHosts: ignored,
      backoff: ignored,
    }),
    fault: object({
      delay: object({
        fixedDelay: duration,
        percentage: percent,
        percent: integer(0, 100),
        exponentialDelay: ignored,
      }),
      abort: object({
        httpStatus: integer(200, 599),
        percentage: percent,
        grpcStatus: ignored,
        http2Error: ignored,
      }),
    }),
    mirror: ignored,
    mirrors: ignored,
    mirrorPercentage: ignored,
    mirrorPercent: ignored,
    mirror_percent: ignored,
    corsPolicy: ignored,
    headers,
  },
  { oneOf: ['route', 'redirect', 'directResponse', 'delegate'] },
);

const gatewaySpec = object(
  {
    selector: map(string()),
    servers: array(
      object(
        {
          port: object(
            {
              number: integer(1, 65_535),
              protocol: string(),
              name: string(),
              targetPort: ignored,
            },
            { required: ['number', 'protocol'] },
          ),
          bind: ignored,
          hosts: array(string()),
          // TLS is terminated before the local gateway's plain-HTTP listener (or not at all).
          tls: object(
            {
              httpsRedirect: boolean,
              mode: string([
                'PASSTHROUGH',
                'SIMPLE',
                'MUTUAL',
                'AUTO_PASSTHROUGH',
                'ISTIO_MUTUAL',
                'OPTIONAL_MUTUAL',
              ]),
              serverCertificate: string(),
              privateKey: string(),
              caCertificates: string(),
              caCrl: string(),
              credentialName: string(),
              credentialNames: array(string()),
              tlsCertificates: any,
              subjectAltNames: array(string()),
              verifyCertificateSpki: array(string()),
              verifyCertificateHash: array(string()),
              minProtocolVersion: string(),
              maxProtocolVersion: string(),
              cipherSuites: array(string()),
            },
            { ignored: true },
          ),
          name: string(),
          defaultEndpoint: ignored,
        },
        { required: ['port', 'hosts'] },
      ),
    ),
  },
  { required: ['servers'] },
);

const trafficPolicy = object({
  loadBalancer: ignored,
  connectionPool: object({
    tcp: object({
      maxConnections: integer(1),
      connectTimeout: duration,
      tcpKeepalive: ignored,
      maxConnectionDuration: ignored,
      idleTimeout: ignored,
    }),
    http: object({
      http1MaxPendingRequests: integer(1),
      http2MaxRequests: ignored,
      maxRequestsPerConnection: integer(0),
      maxRetries: ignored,
      idleTimeout: duration,
      h2UpgradePolicy: ignored,
      useClientProtocol: ignored,
      maxConcurrentStreams: ignored,
    }),
  }),
  // One local endpoint per subset: there is nothing to eject, and Envoy itself routes to all
  // hosts once fewer than half are healthy (its panic threshold).
  outlierDetection: object(
    {
      consecutiveErrors: integer(),
      consecutiveGatewayErrors: integer(),
      consecutive5xxErrors: integer(),
      consecutiveLocalOriginFailures: integer(),
      splitExternalLocalOriginErrors: boolean,
      interval: duration,
      baseEjectionTime: duration,
      maxEjectionPercent: integer(0, 100),
      minHealthPercent: integer(0, 100),
    },
    { ignored: true },
  ),
  tls: ignored,
  portLevelSettings: ignored,
  tunnel: ignored,
  proxyProtocol: ignored,
});

const destinationRuleSpec = object(
  {
    host: string(),
    trafficPolicy,
    subsets: array(
      object({ name: string(), labels: map(string()), trafficPolicy }, { required: ['name'] }),
    ),
    exportTo: array(string()),
    workloadSelector: ignored,
  },
  { required: ['host'] },
);

const virtualServiceSpec = object({
  hosts: array(string()),
  gateways: array(string()),
  http: array(httpRoute),
  tls: ignored,
  tcp: ignored,
  exportTo: array(string()),
});

const metadata = object(
  {
    name: string(),
    namespace: string(),
    labels: any,
    annotations: any,
    uid: any,
    resourceVersion: any,
    generation: any,
    creationTimestamp: any,
    managedFields: any,
    finalizers: any,
    ownerReferences: any,
  },
  { required: ['name'] },
);

const resource = (spec: Shape): Shape =>
  object(
    { apiVersion: string(), kind: string(), metadata, spec, status: any },
    { required: ['metadata', 'spec'] },
  );

/** Shapes of whole resources by kind; `metadata` accepts Kubernetes' other fields silently. */
export const RESOURCE_SHAPES: Readonly<Record<RoutingKind, Shape>> = {
  Gateway: resource(gatewaySpec),
  VirtualService: resource(virtualServiceSpec),
  DestinationRule: resource(destinationRuleSpec),
};

export const ROUTING_API_VERSIONS = [
  'networking.istio.io/v1',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
] as const;

/** networking.istio.io kinds that exist but do not shape the ingress gateway's HTTP routing. */
export const OTHER_NETWORKING_KINDS = [
  'ServiceEntry',
  'Sidecar',
  'EnvoyFilter',
  'WorkloadEntry',
  'WorkloadGroup',
  'ProxyConfig',
] as const;
