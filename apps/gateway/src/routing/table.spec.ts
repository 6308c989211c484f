import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  gatewayYaml,
  tempConfig,
  virtualServiceYaml,
  type TempConfig,
} from '../../test/temp-config.js';
import { parseUpstreams } from '../config/upstreams.js';
import { IstioConfigError, loadIstioResources } from '../istio/load.js';
import { DEFAULT_ISTIO_DIR } from '../paths.js';
import { UpstreamPools } from '../proxy/pools.js';
import type { RequestView } from './match.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { buildRoutingTable, type CompiledDestination, type RoutingTable } from './table.js';

const pools = new UpstreamPools();
afterAll(() => pools.closeAll());

let config: TempConfig | undefined;
afterEach(async () => {
  await config?.remove();
  config = undefined;
});

const UPSTREAMS = parseUpstreams(
  'auth-service=http://127.0.0.1:1003,dataset-service=http://127.0.0.1:1001,' +
    'model-service=http://127.0.0.1:1002,detector-service=http://127.0.0.1:1000,' +
    'detector-service/canary=http://127.0.0.1:2000,a=http://127.0.0.1:3001,b=http://127.0.0.1:3002',
);

async function tableOf(sources: readonly string[], gatewayName?: string): Promise<RoutingTable> {
  return buildRoutingTable(await loadIstioResources(sources), {
    gatewayName,
    upstreams: UPSTREAMS,
    acquire: (origin, policy) => pools.acquire(origin, policy),
  });
}

async function tableFrom(http: string, extra: Record<string, string> = {}): Promise<RoutingTable> {
  config = await tempConfig({
    'gateway.yaml': gatewayYaml(),
    'routes.yaml': virtualServiceYaml(http),
    ...extra,
  });
  return tableOf([config.dir]);
}

function request(path: string, init: Partial<RequestView> = {}): RequestView {
  const question = path.indexOf('?');
  return {
    method: 'GET',
    path: question === -1 ? path : path.slice(0, question),
    query: question === -1 ? '' : path.slice(question + 1),
    headers: {},
    authority: 'localhost:8080',
    scheme: 'http',
    ...init,
  };
}

/** `route name -> host/subset` of where a request goes (the only or first destination). */
function where(table: RoutingTable, view: RequestView): string | undefined {
  const matched = table.match(view);
  if (matched === undefined) return undefined;
  const action = matched.route.action;
  if (action.kind !== 'forward') return `${matched.route.name} -> ${action.kind}`;
  const first = action.destinations.find((d) => d.weight > 0) as CompiledDestination;
  return `${matched.route.name} -> ${first.serviceName}/${first.subset ?? '-'}`;
}

describe(buildRoutingTable.name, () => {
  it("routes the public REST surface by the repository's istio/", async () => {
    const table = await tableOf([DEFAULT_ISTIO_DIR]);
    expect(table.gateway).toBe('nomaly/nomaly-gateway');
    expect(table.routeCount).toBe(10);
    const cases: Array<[string, string]> = [
      ['/api/v1/auth/token', 'auth-primary -> auth-service/stable'],
      ['/api/v1/datasets?name=x', 'dataset-primary -> dataset-service/stable'],
      ['/api/v1/models/edge', 'model-primary -> model-service/stable'],
      ['/api/v1/detectors/algorithms', 'detector-primary -> detector-service/stable'],
      ['/api/v1/results/edge', 'detector-primary -> detector-service/stable'],
      ['/api/v1/jobs/123', 'detector-primary -> detector-service/stable'],
      ['/ui', 'web-primary -> web/stable'],
      ['/ui/datasets', 'web-primary -> web/stable'],
    ];
    for (const [path, expected] of cases) expect(where(table, request(path)), path).toBe(expected);
    expect(where(table, request('/api/v1/jobs/1', { headers: { canary: 'true' } }))).toBe(
      'detector-canary -> detector-service/canary',
    );
    expect(where(table, request('/api/v1/jobs/1', { headers: { canary: 'yes' } }))).toBe(
      'detector-primary -> detector-service/stable',
    );
    expect(where(table, request('/ui/', { headers: { canary: 'true' } }))).toBe(
      'web-canary -> web/canary',
    );
    expect(table.match(request('/uix'))).toBeUndefined();
    expect(table.match(request('/health'))).toBeUndefined();
  });

  it('splits detector-primary by weight and keeps retries and timeouts per route', async () => {
    const table = await tableOf([DEFAULT_ISTIO_DIR]);
    const matched = table.match(request('/api/v1/detectors'));
    expect(matched?.route.timeoutMs).toBe(300_000);
    expect(matched?.route.retry).toMatchObject({ retries: 2, perTryTimeoutMs: 300_000 });
    expect([...(matched?.route.retry?.conditions ?? [])]).toEqual([
      'connect-failure',
      'refused-stream',
      'retriable-status-codes',
    ]);
    expect([...(matched?.route.retry?.statusCodes ?? [])]).toEqual([503]);
    const action = matched?.route.action;
    expect(action?.kind).toBe('forward');
    if (action?.kind !== 'forward') return;
    expect(action.destinations.map((d) => [d.subset, d.weight, d.upstream?.origin])).toEqual([
      ['stable', 100, 'http://127.0.0.1:1000'],
      ['canary', 0, 'http://127.0.0.1:2000'],
    ]);
    expect(action.destinations[0]?.clusterName).toBe(
      'outbound|8000|stable|detector-service.nomaly.svc.cluster.local',
    );
    expect(action.destinations[0]?.upstream?.policy).toMatchObject({
      maxConnections: 200,
      maxPending: 400,
      connectTimeoutMs: 3_000,
      idleTimeoutMs: 60_000,
    });
  });

  it('takes the example 90/10 split when it is loaded after istio/', async () => {
    const table = await tableOf([
      DEFAULT_ISTIO_DIR,
      `${DEFAULT_ISTIO_DIR}/examples/virtual-service-detector-90-10.yaml`,
    ]);
    const action = table.match(request('/api/v1/detectors'))?.route.action;
    expect(action?.kind === 'forward' && action.destinations.map((d) => d.weight)).toEqual([
      90, 10,
    ]);
  });

  it('evaluates routes in order: entries of a match list OR-ed, conditions of one AND-ed', async () => {
    const table = await tableFrom(`
- name: post-or-header
  match:
    - uri: { prefix: /x }
      method: { exact: POST }
    - uri: { prefix: /x }
      headers: { x-debug: {} }
  route: [{ destination: { host: b } }]
- name: regex
  match:
    - uri: { regex: '/v[0-9]+' }
  route: [{ destination: { host: b } }]
- name: case
  match:
    - uri: { exact: /Mixed }
      ignoreUriCase: true
  route: [{ destination: { host: b } }]
- name: without
  match:
    - uri: { prefix: /w }
      withoutHeaders: { x-skip: { exact: '1' } }
  route: [{ destination: { host: b } }]
- name: query
  match:
    - queryParams: { mode: { exact: fast } }
  route: [{ destination: { host: b } }]
- name: rest
  route: [{ destination: { host: a } }]
`);
    expect(where(table, request('/x', { method: 'POST' }))).toBe('post-or-header -> b/-');
    expect(where(table, request('/x', { headers: { 'x-debug': '' } }))).toBe(
      'post-or-header -> b/-',
    );
    expect(where(table, request('/x'))).toBe('rest -> a/-');
    expect(where(table, request('/v12'))).toBe('regex -> b/-');
    // RE2 matching is whole-path: a regex never matches a mere part of it.
    expect(where(table, request('/v12/more'))).toBe('rest -> a/-');
    expect(where(table, request('/mIXED'))).toBe('case -> b/-');
    expect(where(table, request('/w'))).toBe('without -> b/-');
    expect(where(table, request('/w', { headers: { 'x-skip': '1' } }))).toBe('rest -> a/-');
    expect(where(table, request('/q?mode=fast'))).toBe('query -> b/-');
    expect(where(table, request('/q?mode=slow'))).toBe('rest -> a/-');
  });

  it('picks the most specific virtual host: exact, then longest wildcard, then *', async () => {
    config = await tempConfig({
      'gateway.yaml': gatewayYaml(),
      'exact.yaml': virtualServiceYaml('- route: [{ destination: { host: a } }]', {
        name: 'exact',
        hosts: ['api.example.com'],
      }),
      'wild.yaml': virtualServiceYaml('- route: [{ destination: { host: b } }]', {
        name: 'wild',
        hosts: ['*.example.com'],
      }),
      'any.yaml': virtualServiceYaml('- route: [{ destination: { host: detector-service } }]', {
        name: 'any',
      }),
    });
    const table = await tableOf([config.dir]);
    expect(where(table, request('/', { authority: 'API.example.com:8080' }))).toBe(
      'exact.0 -> a/-',
    );
    expect(where(table, request('/', { authority: 'www.example.com' }))).toBe('wild.0 -> b/-');
    expect(where(table, request('/', { authority: 'example.org' }))).toBe(
      'any.0 -> detector-service/-',
    );
  });

  it('serves only VirtualServices bound to the chosen Gateway', async () => {
    config = await tempConfig({
      'gateways.yaml': `${gatewayYaml('one')}---\n${gatewayYaml('two')}`,
      'one.yaml': virtualServiceYaml('- route: [{ destination: { host: a } }]', {
        name: 'one',
        gateways: ['nomaly/one'],
      }),
      'two.yaml': virtualServiceYaml('- route: [{ destination: { host: b } }]', {
        name: 'two',
        gateways: ['two', 'mesh'],
      }),
    });
    await expect(tableOf([config.dir])).rejects.toThrow(/2 Gateways .* set GATEWAY_NAME/);
    expect(where(await tableOf([config.dir], 'one'), request('/'))).toBe('one.0 -> a/-');
    expect(where(await tableOf([config.dir], 'nomaly/two'), request('/'))).toBe('two.0 -> b/-');
    await expect(tableOf([config.dir], 'three')).rejects.toThrow(/GATEWAY_NAME three: no such/);
  });

  it('leaves a subset no DestinationRule defines without an endpoint, and says so', async () => {
    const table = await tableFrom(`
- route: [{ destination: { host: detector-service, subset: blue } }]
`);
    const action = table.match(request('/'))?.route.action;
    expect(action?.kind === 'forward' && action.destinations[0]?.upstream).toBeUndefined();
    expect(table.warnings).toEqual([
      expect.stringMatching(
        /spec\.http\[0\]\.route\[0\]\.destination: subset "blue" of detector-service is in no DestinationRule/,
      ),
    ]);
  });

  it('applies Istio retry defaults, and none with attempts 0', async () => {
    const table = await tableFrom(`
- match: [{ uri: { prefix: /default } }]
  route: [{ destination: { host: a } }]
- match: [{ uri: { prefix: /none } }]
  route: [{ destination: { host: a } }]
  retries: { attempts: 0 }
- match: [{ uri: { prefix: /some } }]
  route: [{ destination: { host: a } }]
  retries: { attempts: 3, perTryTimeout: 2s, retryOn: '5xx,409' }
`);
    expect(table.match(request('/default'))?.route.retry).toBe(DEFAULT_RETRY_POLICY);
    expect(table.match(request('/none'))?.route.retry).toBeUndefined();
    const some = table.match(request('/some'))?.route.retry;
    expect(some?.retries).toBe(3);
    expect(some?.perTryTimeoutMs).toBe(2_000);
    expect([...(some?.conditions ?? [])]).toEqual(['5xx', 'retriable-status-codes']);
    expect([...(some?.statusCodes ?? [])]).toEqual([409]);
  });

  it('names the route and field of what does not compile', async () => {
    await expect(
      tableFrom(`
- match: [{ uri: { regex: '/(' } }]
  route: [{ destination: { host: a } }]
- route: [{ destination: { host: a } }]
  retries: { attempts: 1, retryOn: 5XX }
- route:
    - destination: { host: a }
      weight: 0
    - destination: { host: b }
      weight: 0
`),
    ).rejects.toSatisfy((error: unknown) => {
      expect(error).toBeInstanceOf(IstioConfigError);
      const problems = (error as IstioConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/spec\.http\[0\]\.match\[0\]: regex "\/\(" does not compile/);
      expect(problems[1]).toMatch(/spec\.http\[1\]\.retries: retryOn: unknown condition "5XX"/);
      expect(problems[2]).toMatch(/spec\.http\[2\]\.route: the weights add up to 0/);
      return true;
    });
  });
});
