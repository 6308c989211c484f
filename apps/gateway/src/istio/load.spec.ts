import { afterEach, describe, expect, it } from 'vitest';
import {
  gatewayYaml,
  tempConfig,
  virtualServiceYaml,
  type TempConfig,
} from '../../test/temp-config.js';
import { DEFAULT_ISTIO_DIR } from '../paths.js';
import { IstioConfigError, loadIstioResources } from './load.js';

let config: TempConfig | undefined;
afterEach(async () => {
  await config?.remove();
  config = undefined;
});

async function problemsOf(files: Record<string, string>): Promise<string[]> {
  config = await tempConfig(files);
  try {
    await loadIstioResources([config.dir]);
  } catch (error) {
    expect(error).toBeInstanceOf(IstioConfigError);
    return [...(error as IstioConfigError).problems];
  }
  throw new Error('expected an IstioConfigError');
}

describe(loadIstioResources.name, () => {
  it("loads the repository's istio/ without problems", async () => {
    const resources = await loadIstioResources([DEFAULT_ISTIO_DIR]);
    expect(resources.gateways.map((g) => `${g.namespace}/${g.name}`)).toEqual([
      'nomaly/nomaly-gateway',
    ]);
    expect(resources.virtualServices.map((v) => v.name).sort()).toEqual(['nomaly', 'nomaly-web']);
    expect(resources.destinationRules.map((d) => d.spec.host).sort()).toEqual([
      'auth-service',
      'dataset-service',
      'detector-service',
      'model-service',
      'web',
    ]);
    // Top-level files only: the example in istio/examples is not loaded.
    expect(resources.files.every((file) => !file.includes('/examples/'))).toBe(true);
    expect(resources.ignored).toContainEqual(
      expect.stringMatching(
        /istio\/gateway\.yaml: Gateway nomaly\/nomaly-gateway: spec\.servers\[0\]\.tls$/,
      ),
    );
    expect(resources.ignored.some((i) => i.endsWith('spec.trafficPolicy.outlierDetection'))).toBe(
      true,
    );
  });

  it('names file, resource and path of an unknown field, and every other problem too', async () => {
    const problems = await problemsOf({
      'gateway.yaml': gatewayYaml(),
      'routes.yaml': virtualServiceYaml(`
- name: a
  match:
    - uri: { prefix: /a, exact: /a }
  route:
    - destination: { hots: a-service }
  timeout: 10
  retries: { attempts: many }
`),
    });
    expect(problems.map((p) => p.slice(p.indexOf('routes.yaml')))).toEqual([
      'routes.yaml: VirtualService nomaly/routes: spec.http[0].match[0].uri: only one of exact, prefix may be set',
      'routes.yaml: VirtualService nomaly/routes: spec.http[0].route[0].destination.hots: unknown field',
      'routes.yaml: VirtualService nomaly/routes: spec.http[0].route[0].destination.host: required',
      'routes.yaml: VirtualService nomaly/routes: spec.http[0].timeout: must be a duration such as "10s" or "500ms", got number 10',
      'routes.yaml: VirtualService nomaly/routes: spec.http[0].retries.attempts: must be a number, got string "many"',
    ]);
  });

  it('accepts Istio fields it does not implement, listing them as ignored', async () => {
    config = await tempConfig({
      'gateway.yaml': gatewayYaml(),
      'routes.yaml': virtualServiceYaml(`
- route:
    - destination: { host: a-service }
  mirror: { host: b-service }
  corsPolicy: { allowOrigins: [{ exact: 'https://x' }] }
`),
      'policy.yaml': `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: nomaly }
spec: { mtls: { mode: STRICT } }
`,
    });
    const resources = await loadIstioResources([config.dir]);
    expect(resources.ignored).toEqual([
      expect.stringMatching(
        /policy\.yaml: PeerAuthentication nomaly\/default \(security\.istio\.io\/v1\)$/,
      ),
      expect.stringMatching(
        /routes\.yaml: VirtualService nomaly\/routes: spec\.http\[0\]\.mirror$/,
      ),
      expect.stringMatching(
        /routes\.yaml: VirtualService nomaly\/routes: spec\.http\[0\]\.corsPolicy$/,
      ),
    ]);
  });

  it('rejects broken YAML, unknown networking kinds and old API versions by file', async () => {
    const problems = await problemsOf({
      'a.yaml': 'kind: [unclosed',
      'b.yaml': `apiVersion: networking.istio.io/v1
kind: VirtualSrevice
metadata: { name: x }
spec: {}
`,
      'c.yaml': `apiVersion: networking.istio.io/v2
kind: Gateway
metadata: { name: x }
spec: {}
`,
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/a\.yaml: /);
    expect(problems[1]).toMatch(/b\.yaml: VirtualSrevice default\/x: unknown kind/);
    expect(problems[2]).toMatch(/c\.yaml: Gateway default\/x: apiVersion must be one of/);
  });

  it('lets a later definition of a resource replace an earlier one, as kubectl apply does', async () => {
    config = await tempConfig({
      'a.yaml': virtualServiceYaml('- route: [{ destination: { host: first } }]'),
      'b.yaml': virtualServiceYaml('- route: [{ destination: { host: second } }]'),
    });
    const resources = await loadIstioResources([config.dir]);
    expect(resources.virtualServices).toHaveLength(1);
    expect(resources.virtualServices[0]?.spec.http?.[0]?.route?.[0]?.destination.host).toBe(
      'second',
    );
    expect(resources.notes).toEqual([
      expect.stringMatching(/b\.yaml: .* replaces the one in .*a\.yaml/),
    ]);
  });

  it('reads several documents per file and says which one is wrong', async () => {
    const problems = await problemsOf({
      'all.yaml': `${gatewayYaml()}---\n${virtualServiceYaml('- route: [{ destination: { host: a } }]').replace('hosts:', 'hostz:')}`,
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /all\.yaml \(document 2\): VirtualService nomaly\/routes: spec\.hostz: unknown field/,
      ),
    ]);
  });

  it('says when a source is missing or holds no YAML', async () => {
    await expect(loadIstioResources(['/nonexistent/istio'])).rejects.toThrow(
      /\/nonexistent\/istio: no such file or directory/,
    );
    config = await tempConfig({ 'README.md': '# not yaml' });
    await expect(loadIstioResources([config.dir])).rejects.toThrow(/no \*\.yaml files in it/);
  });
});
