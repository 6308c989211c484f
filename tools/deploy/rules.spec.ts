/**
 * The single rules on hand-written objects (no helm): what each check accepts and what it
 * reports, including the cases the fixture chart does not reach.
 */
import { describe, expect, it } from 'vitest';
import { checkConsistency } from './consistency.js';
import {
  type JsonObject,
  labelSelectorMatches,
  type Manifest,
  parseManifests,
  serviceHost,
} from './manifest.js';
import { checkPolicy, imageProblem } from './policy.js';
import { checkSchemas } from './schemas.js';

const manifest = (object: JsonObject): Manifest => ({ object, source: 'test' });

const SECURE_CONTAINER = {
  name: 'app',
  image: 'ghcr.io/nomaly/app:0.1.0',
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
  resources: { requests: { cpu: '100m' }, limits: { memory: '128Mi' } },
};

const SELECTOR = { 'app.kubernetes.io/name': 'app', 'app.kubernetes.io/instance': 'app' };

describe(serviceHost.name, () => {
  it('reads short names and full cluster names only, like Istio', () => {
    expect(serviceHost('auth-service', 'nomaly')).toEqual({
      name: 'auth-service',
      namespace: 'nomaly',
    });
    expect(serviceHost('auth-service.other.svc.cluster.local', 'nomaly')).toEqual({
      name: 'auth-service',
      namespace: 'other',
    });
    expect(serviceHost('auth-service.other', 'nomaly')).toBeUndefined();
    expect(serviceHost('api.example.com', 'nomaly')).toBeUndefined();
  });
});

describe(labelSelectorMatches.name, () => {
  it('applies matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'auth-service', tier: 'api' };
    const select = (selector: JsonObject) => labelSelectorMatches(selector, labels);
    expect(select({ matchLabels: { app: 'auth-service' } })).toBe(true);
    expect(
      select({
        matchLabels: { app: 'auth-service' },
        matchExpressions: [{ key: 'nomaly.io/preview', operator: 'DoesNotExist' }],
      }),
    ).toBe(true);
    expect(
      select({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] }),
    ).toBe(true);
    expect(
      select({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }),
    ).toBe(false);
    expect(select({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] })).toBe(true);
    expect(select({ matchLabels: { app: 'model-service' } })).toBe(false);
    expect(select({})).toBe(false);
  });
});

describe(imageProblem.name, () => {
  it('accepts a pinned tag or a digest', () => {
    expect(imageProblem('ghcr.io/nomaly/auth-service:0.1.0')).toBeUndefined();
    expect(imageProblem('registry:5000/nomaly/auth-service@sha256:abc')).toBeUndefined();
  });
  it('rejects latest and an untagged image, even behind a registry port', () => {
    expect(imageProblem('ghcr.io/nomaly/auth-service:latest')).toContain('uses the tag "latest"');
    expect(imageProblem('registry:5000/nomaly/auth-service')).toContain('has no tag');
  });
});

describe(checkSchemas.name, () => {
  it('checks networking.istio.io/v1 objects against their v1beta1 twin', async () => {
    const findings = await checkSchemas([
      {
        ref: 'DestinationRule/x',
        object: {
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'x' },
          spec: { host: 'x', subsetz: [] },
        },
      },
    ]);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'schema/unknown-field',
        path: 'spec.subsetz',
        message: expect.stringContaining('did you mean "subsets"') as unknown,
      }),
    ]);
  });

  it('accepts free keys in labels, annotations, ConfigMap data and preserve-unknown-fields objects', async () => {
    const findings = await checkSchemas([
      {
        ref: 'ConfigMap/x',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'x',
            labels: { 'app.kubernetes.io/name': 'x' },
            annotations: { 'a.b/c': 'd' },
          },
          data: { LOG_LEVEL: 'info' },
        },
      },
      {
        ref: 'Rollout/x',
        object: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: { name: 'x' },
          spec: {
            selector: { matchLabels: { a: 'b' } },
            template: {
              metadata: { labels: { a: 'b' } },
              spec: { containers: [{ name: 'c', image: 'i:1' }] },
            },
            strategy: {
              canary: {
                trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'r' } } },
              },
            },
          },
        },
      },
    ]);
    expect(findings).toEqual([]);
  });

  it('rejects a kind outside the supported groups and a non-resource definition', async () => {
    const findings = await checkSchemas([
      {
        ref: 'Certificate/x',
        object: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x' } },
      },
      {
        ref: 'DeploymentSpec/x',
        object: { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'x' } },
      },
    ]);
    expect(findings.map((f) => `${f.rule} ${f.object}`)).toEqual([
      'schema/unknown-kind Certificate/x',
      'schema/unknown-kind DeploymentSpec/x',
    ]);
  });

  it('names the enum values of a wrong Istio mode and the field of a Prometheus operator typo', async () => {
    const findings = await checkSchemas([
      {
        ref: 'PeerAuthentication/x',
        object: {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'x' },
          spec: { mtls: { mode: 'STRICTT' } },
        },
      },
      {
        ref: 'ServiceMonitor/x',
        object: {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'x' },
          spec: { selector: {}, endpoints: [{ port: 'http', pathh: '/metrics' }] },
        },
      },
    ]);
    expect(findings.map((f) => `${f.object} ${f.path}: ${f.message}`)).toEqual([
      'PeerAuthentication/x spec.mtls.mode: must be one of "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
      'ServiceMonitor/x spec.endpoints[0].pathh: unknown field "pathh" (did you mean "path"?): ServiceMonitor monitoring.coreos.com/v1 does not declare it',
    ]);
  });
});

describe(checkPolicy.name, () => {
  it('does not ask a Job for probes but holds it to the security rules', () => {
    const job = manifest({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                ...SECURE_CONTAINER,
                securityContext: { ...SECURE_CONTAINER.securityContext, privileged: true },
              },
            ],
          },
        },
      },
    });
    expect(checkPolicy(job).map((f) => `${f.rule} ${f.path}`)).toEqual([
      'policy/privileged spec.template.spec.containers[0].securityContext.privileged',
    ]);
  });

  it('reports host access, missing resources and selectors beyond name + instance', () => {
    const deployment = manifest({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: {
        selector: { matchLabels: { ...SELECTOR, version: '1' } },
        template: {
          metadata: { labels: { ...SELECTOR, version: '1' } },
          spec: {
            hostNetwork: true,
            volumes: [{ name: 'host', hostPath: { path: '/' } }],
            containers: [
              {
                ...SECURE_CONTAINER,
                resources: {},
                livenessProbe: { exec: {} },
                readinessProbe: { exec: {} },
              },
            ],
          },
        },
      },
    });
    expect(checkPolicy(deployment).map((f) => `${f.rule} ${f.path}`)).toEqual([
      'policy/host-namespace spec.template.spec.hostNetwork',
      'policy/host-path spec.template.spec.volumes[0].hostPath',
      'policy/resources spec.template.spec.containers[0].resources.requests.cpu',
      'policy/resources spec.template.spec.containers[0].resources.limits.memory',
      'policy/selector spec.selector.matchLabels',
    ]);
  });

  it('wants Service ports named for their protocol or carrying appProtocol', () => {
    const service = manifest({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'app' },
      spec: {
        selector: SELECTOR,
        ports: [
          { name: 'http', port: 80 },
          { name: 'web', port: 81, appProtocol: 'http' },
          { name: 'api', port: 82 },
        ],
      },
    });
    expect(checkPolicy(service).map((f) => `${f.rule} ${f.path}`)).toEqual([
      'policy/service-port spec.ports[2].name',
    ]);
  });
});

describe(checkConsistency.name, () => {
  const parse = (text: string) => parseManifests(text, 'test').manifests;
  const workload = parse(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: nomaly}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: app, app.kubernetes.io/instance: app}}
  template:
    metadata: {labels: {app.kubernetes.io/name: app, app.kubernetes.io/instance: app, app: app}}
    spec: {serviceAccountName: app, containers: [{name: app, image: "i:1"}]}
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: nomaly, labels: {app.kubernetes.io/name: app}}
spec:
  selector: {app.kubernetes.io/name: app, app.kubernetes.io/instance: app}
  ports: [{name: http, port: 8000}]
`);

  it('reports what the owned objects name but the bundle lacks', () => {
    const owned = [
      ...workload,
      ...parse(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: app, namespace: nomaly}
spec:
  selector: {matchLabels: {app: app}}
  rules:
    - from:
        - source:
            principals:
              - cluster.local/ns/nomaly/sa/detector-service
              - cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app, namespace: nomaly}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: app}}
  endpoints: [{port: metrics}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: nomaly}
spec:
  hosts: [app]
  http: [{route: [{destination: {host: app, port: {number: 9000}}}]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app, namespace: nomaly}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: app}
  maxReplicas: 3
`),
    ];
    const findings = checkConsistency({ owned, context: [], namespace: 'nomaly' });
    expect(findings.map((f) => `${f.rule} ${f.object} ${f.path}`)).toEqual([
      'consistency/service-account Deployment/app spec.template.spec.serviceAccountName',
      'consistency/principal AuthorizationPolicy/app spec.rules[0].from[0].source.principals[0]',
      'consistency/service-monitor ServiceMonitor/app spec.endpoints[0].port',
      'consistency/host VirtualService/app spec.http[0].route[0].destination.port.number',
      'consistency/hpa HorizontalPodAutoscaler/app spec.scaleTargetRef',
    ]);
  });

  it('lets context objects satisfy references without checking the context itself', () => {
    const context = parse(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: nomaly}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: elsewhere, namespace: nomaly}
spec:
  hosts: [other]
  http: [{route: [{destination: {host: other-service}}]}]
`);
    expect(checkConsistency({ owned: workload, context, namespace: 'nomaly' })).toEqual([]);
  });

  it('reports an object defined twice', () => {
    const findings = checkConsistency({
      owned: [...workload, ...workload.slice(1)],
      context: [],
      namespace: 'nomaly',
    });
    expect(findings.filter((f) => f.rule === 'consistency/duplicate').map((f) => f.object)).toEqual(
      ['Service/app'],
    );
  });
});
