/**
 * Consistency check of one bundle of objects: what each object names (a VirtualService route, a
 * DestinationRule subset, a Service, an AnalysisTemplate, a ServiceAccount) must exist, and the
 * labels must line up with the pods it is meant for.
 *
 * A bundle has `owned` objects (what a chart renders, or the files under test) and `context`
 * objects (the istio/ files beside a service chart). Only owned objects are checked; context
 * objects can satisfy their references. So a service chart is checked against istio/ without
 * istio/'s routes for the other three services counting against it.
 */
import {
  asArray,
  asLabels,
  asObject,
  asString,
  dig,
  type Finding,
  formatPath,
  kindOf,
  labelSelectorMatches,
  type Manifest,
  nameOf,
  namespaceOf,
  refOf,
  selectorMatches,
  serviceHost,
} from './manifest.js';
import { podTemplateOf } from './policy.js';

export interface Bundle {
  readonly owned: readonly Manifest[];
  readonly context: readonly Manifest[];
  /** Namespace of objects that name none (`helm template --namespace`). */
  readonly namespace: string;
}

/** Every consistency finding of the bundle's owned objects. */
export function checkConsistency(bundle: Bundle): Finding[] {
  const index = new BundleIndex(bundle);
  const findings: Finding[] = [...duplicates(bundle)];
  for (const manifest of bundle.owned) {
    const at = new Reporter(manifest, findings);
    switch (kindOf(manifest)) {
      case 'Rollout':
        checkRollout(manifest, index, at);
        break;
      case 'VirtualService':
        checkVirtualService(manifest, index, at);
        break;
      case 'DestinationRule':
        checkDestinationRuleHost(manifest, index, at);
        break;
      case 'Service':
        checkServiceSelectsPods(manifest, index, at);
        break;
      case 'HorizontalPodAutoscaler':
        checkAutoscaler(manifest, index, at);
        break;
      case 'PodDisruptionBudget':
        checkSelectsPods(
          manifest,
          ['spec', 'selector', 'matchLabels'],
          index,
          at,
          'consistency/pdb',
        );
        break;
      case 'AuthorizationPolicy':
        checkAuthorizationPolicy(manifest, index, at);
        checkSelectsPods(
          manifest,
          ['spec', 'selector', 'matchLabels'],
          index,
          at,
          'consistency/istio-selector',
          true,
        );
        break;
      case 'PeerAuthentication':
      case 'RequestAuthentication':
        checkSelectsPods(
          manifest,
          ['spec', 'selector', 'matchLabels'],
          index,
          at,
          'consistency/istio-selector',
          true,
        );
        break;
      case 'ServiceMonitor':
        checkServiceMonitor(manifest, index, at);
        break;
      default:
        break;
    }
    const pod = podTemplateOf(manifest);
    const serviceAccount = asString(dig(pod?.template, 'spec', 'serviceAccountName'));
    if (
      pod &&
      serviceAccount &&
      serviceAccount !== 'default' &&
      !index.find('ServiceAccount', serviceAccount, namespaceOf(manifest, bundle.namespace))
    ) {
      at.add(
        'consistency/service-account',
        [...pod.path, 'spec', 'serviceAccountName'],
        `ServiceAccount ${serviceAccount} is not in the render`,
      );
    }
  }
  return findings;
}

class Reporter {
  constructor(
    private readonly manifest: Manifest,
    private readonly findings: Finding[],
  ) {}
  add(rule: string, path: (string | number)[], message: string) {
    this.findings.push({ rule, object: refOf(this.manifest), path: formatPath(path), message });
  }
}

class BundleIndex {
  readonly all: readonly Manifest[];
  readonly namespace: string;
  constructor(bundle: Bundle) {
    this.all = [...bundle.owned, ...bundle.context];
    this.namespace = bundle.namespace;
  }
  find(kind: string, name: string, namespace: string): Manifest | undefined {
    return this.all.find(
      (m) =>
        kindOf(m) === kind && nameOf(m) === name && namespaceOf(m, this.namespace) === namespace,
    );
  }
  ofKind(kind: string): Manifest[] {
    return this.all.filter((m) => kindOf(m) === kind);
  }
  /** Pod template labels of every workload in the bundle, with the workload's namespace. */
  podLabels(): { ref: string; namespace: string; labels: Record<string, string> }[] {
    return this.all.flatMap((m) => {
      const pod = podTemplateOf(m);
      return pod
        ? [
            {
              ref: refOf(m),
              namespace: namespaceOf(m, this.namespace),
              labels: asLabels(dig(pod.template, 'metadata', 'labels')),
            },
          ]
        : [];
    });
  }
}

function duplicates(bundle: Bundle): Finding[] {
  const seen = new Map<string, Manifest>();
  const owned = new Set(bundle.owned);
  const findings: Finding[] = [];
  for (const manifest of [...bundle.owned, ...bundle.context]) {
    const group = (asString(manifest.object['apiVersion']) ?? '').split('/').slice(0, -1).join('/');
    const key = `${group}/${kindOf(manifest)}/${namespaceOf(manifest, bundle.namespace)}/${nameOf(manifest)}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, manifest);
    } else if (owned.has(manifest) || owned.has(first)) {
      findings.push({
        rule: 'consistency/duplicate',
        object: refOf(manifest),
        message: `defined twice: in ${first.source} and in ${manifest.source}`,
      });
    }
  }
  return findings;
}

// ---- Argo Rollouts ----

function checkRollout(rollout: Manifest, index: BundleIndex, at: Reporter) {
  const namespace = namespaceOf(rollout, index.namespace);
  const podLabels = asLabels(dig(rollout.object, 'spec', 'template', 'metadata', 'labels'));
  const strategy = ['spec', 'strategy'];
  const canary = asObject(dig(rollout.object, ...strategy, 'canary'));
  const blueGreen = asObject(dig(rollout.object, ...strategy, 'blueGreen'));

  const serviceFields: [string[], string][] = [];
  if (canary) {
    const base = [...strategy, 'canary'];
    checkCanaryRouting(rollout, base, index, at, podLabels);
    serviceFields.push(
      [[...base, 'stableService'], 'stableService'],
      [[...base, 'canaryService'], 'canaryService'],
    );
    checkAnalysis(rollout, [...base, 'analysis'], index, at);
    asArray(dig(rollout.object, ...base, 'steps')).forEach((_, step) =>
      checkAnalysis(rollout, [...base, 'steps', String(step), 'analysis'], index, at),
    );
  }
  if (blueGreen) {
    const base = [...strategy, 'blueGreen'];
    serviceFields.push(
      [[...base, 'activeService'], 'activeService'],
      [[...base, 'previewService'], 'previewService'],
    );
    if (!asString(blueGreen['activeService'])) {
      at.add(
        'consistency/blue-green',
        [...base, 'activeService'],
        'a blue-green Rollout needs an activeService',
      );
    }
    checkAnalysis(rollout, [...base, 'prePromotionAnalysis'], index, at);
    checkAnalysis(rollout, [...base, 'postPromotionAnalysis'], index, at);
  }
  for (const [path, field] of serviceFields) {
    const name = asString(dig(rollout.object, ...path));
    if (!name) continue;
    const service = index.find('Service', name, namespace);
    if (!service) {
      at.add('consistency/service', path, `${field} Service ${name} is not in the render`);
      continue;
    }
    const selector = asLabels(dig(service.object, 'spec', 'selector'));
    if (!selectorMatches(selector, podLabels)) {
      at.add(
        'consistency/service',
        path,
        `${field} Service ${name} selects ${JSON.stringify(selector)}, which does not match the Rollout's pod labels ${JSON.stringify(podLabels)}`,
      );
    }
  }
}

function checkCanaryRouting(
  rollout: Manifest,
  base: string[],
  index: BundleIndex,
  at: Reporter,
  podLabels: Record<string, string>,
) {
  const istio = asObject(dig(rollout.object, ...base, 'trafficRouting', 'istio'));
  if (!istio) return;
  const istioPath = [...base, 'trafficRouting', 'istio'];
  const namespace = namespaceOf(rollout, index.namespace);

  const destinationRule = asObject(istio['destinationRule']);
  const ruleName = asString(destinationRule?.['name']);
  const stableSubset = asString(destinationRule?.['stableSubsetName']);
  const canarySubset = asString(destinationRule?.['canarySubsetName']);
  const rule = ruleName ? index.find('DestinationRule', ruleName, namespace) : undefined;
  if (ruleName && !rule) {
    at.add(
      'consistency/destination-rule',
      [...istioPath, 'destinationRule', 'name'],
      `DestinationRule ${ruleName} is not in the render`,
    );
  }
  const ruleHost = rule ? asString(dig(rule.object, 'spec', 'host')) : undefined;
  if (rule) {
    const subsets = asArray(dig(rule.object, 'spec', 'subsets'));
    for (const [field, subsetName] of [
      ['stableSubsetName', stableSubset],
      ['canarySubsetName', canarySubset],
    ] as const) {
      if (!subsetName) {
        at.add(
          'consistency/destination-rule',
          [...istioPath, 'destinationRule', field],
          `${field} is not set`,
        );
        continue;
      }
      const subset = subsets.find((entry) => dig(entry, 'name') === subsetName);
      if (!subset) {
        at.add(
          'consistency/destination-rule',
          [...istioPath, 'destinationRule', field],
          `DestinationRule ${ruleName} has no subset ${subsetName} (it has ${subsets.map((s) => String(dig(s, 'name'))).join(', ') || 'none'})`,
        );
        continue;
      }
      const labels = asLabels(dig(subset, 'labels'));
      if (Object.keys(labels).length > 0 && !selectorMatches(labels, podLabels)) {
        at.add(
          'consistency/destination-rule',
          [...istioPath, 'destinationRule', field],
          `subset ${subsetName} of DestinationRule ${ruleName} selects ${JSON.stringify(labels)}, which the Rollout's pod labels ${JSON.stringify(podLabels)} do not carry`,
        );
      }
    }
  }

  const references: { path: (string | number)[]; name?: string; routes: unknown[] }[] = [];
  const single = asObject(istio['virtualService']);
  if (single) {
    references.push({
      path: [...istioPath, 'virtualService'],
      name: asString(single['name']),
      routes: asArray(single['routes']),
    });
  }
  asArray(istio['virtualServices']).forEach((entry, position) =>
    references.push({
      path: [...istioPath, 'virtualServices', position],
      name: asString(dig(entry, 'name')),
      routes: asArray(dig(entry, 'routes')),
    }),
  );
  for (const reference of references) {
    if (!reference.name) continue;
    // Argo takes `name` as `<vs>` or `<vs>.<namespace>`.
    const [vsName = reference.name, vsNamespace = namespace] = reference.name.split('.');
    const virtualService = index.find('VirtualService', vsName, vsNamespace);
    if (!virtualService) {
      at.add(
        'consistency/virtual-service',
        [...reference.path, 'name'],
        `VirtualService ${reference.name} is not in the render`,
      );
      continue;
    }
    const httpRoutes = asArray(dig(virtualService.object, 'spec', 'http'));
    const routeNames = httpRoutes.map((route) => asString(dig(route, 'name')));
    reference.routes.forEach((routeName, position) => {
      const routePath = [...reference.path, 'routes', position];
      const route = httpRoutes.find((entry) => dig(entry, 'name') === routeName);
      if (!route) {
        at.add(
          'consistency/route',
          routePath,
          `VirtualService ${vsName} has no HTTP route named ${String(routeName)} (it has ${routeNames.filter(Boolean).join(', ') || 'no named routes'})`,
        );
        return;
      }
      const destinations = asArray(dig(route, 'route')).map(
        (entry) => asObject(dig(entry, 'destination')) ?? {},
      );
      const foreign = destinations.filter(
        (destination) =>
          ruleHost !== undefined &&
          !sameService(asString(destination['host']), ruleHost, vsNamespace, namespace),
      );
      if (foreign.length > 0) {
        at.add(
          'consistency/route',
          routePath,
          `route ${String(routeName)} of VirtualService ${vsName} sends traffic to ${foreign.map((d) => String(d['host'])).join(', ')}, not to the DestinationRule host ${ruleHost}`,
        );
      }
      const subsets = new Set(destinations.map((destination) => asString(destination['subset'])));
      for (const subset of [stableSubset, canarySubset]) {
        if (subset && !subsets.has(subset)) {
          at.add(
            'consistency/route',
            routePath,
            `route ${String(routeName)} of VirtualService ${vsName} has no destination with subset ${subset}; Argo Rollouts shifts weight between ${stableSubset} and ${canarySubset}`,
          );
        }
      }
    });
  }
}

function sameService(
  host: string | undefined,
  other: string,
  hostNamespace: string,
  otherNamespace: string,
) {
  if (!host) return false;
  const a = serviceHost(host, hostNamespace);
  const b = serviceHost(other, otherNamespace);
  return a && b ? a.name === b.name && a.namespace === b.namespace : host === other;
}

/** An analysis block: `{templates: [{templateName, clusterScope}], args: [{name, value}]}`. */
function checkAnalysis(rollout: Manifest, path: string[], index: BundleIndex, at: Reporter) {
  const analysis = asObject(dig(rollout.object, ...path));
  if (!analysis) return;
  const namespace = namespaceOf(rollout, index.namespace);
  const supplied = new Set(asArray(analysis['args']).map((arg) => asString(dig(arg, 'name'))));
  asArray(analysis['templates']).forEach((entry, position) => {
    const name = asString(dig(entry, 'templateName'));
    const clusterScope = dig(entry, 'clusterScope') === true;
    const entryPath = [...path, 'templates', position, 'templateName'];
    if (!name) {
      at.add('consistency/analysis', entryPath, 'templateName is not set');
      return;
    }
    const template = clusterScope
      ? index.ofKind('ClusterAnalysisTemplate').find((m) => nameOf(m) === name)
      : index.find('AnalysisTemplate', name, namespace);
    if (!template) {
      at.add(
        'consistency/analysis',
        entryPath,
        `${clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} ${name} is not in the render`,
      );
      return;
    }
    for (const arg of asArray(dig(template.object, 'spec', 'args'))) {
      const argName = asString(dig(arg, 'name'));
      const hasDefault = dig(arg, 'value') !== undefined || dig(arg, 'valueFrom') !== undefined;
      if (argName && !hasDefault && !supplied.has(argName)) {
        at.add(
          'consistency/analysis',
          [...path, 'args'],
          `AnalysisTemplate ${name} needs the argument ${argName} (it has no default), and this analysis does not pass it`,
        );
      }
    }
  });
}

// ---- Istio ----

function checkVirtualService(vs: Manifest, index: BundleIndex, at: Reporter) {
  const namespace = namespaceOf(vs, index.namespace);
  asArray(dig(vs.object, 'spec', 'gateways')).forEach((gateway, position) => {
    if (typeof gateway !== 'string' || gateway === 'mesh') return;
    const [first = gateway, second] = gateway.split('/');
    const [gwNamespace, gwName] = second ? [first, second] : [namespace, first];
    if (!index.find('Gateway', gwName, gwNamespace)) {
      at.add(
        'consistency/gateway',
        ['spec', 'gateways', position],
        `Gateway ${gateway} is not in the render`,
      );
    }
  });
  for (const protocol of ['http', 'tcp', 'tls'] as const) {
    asArray(dig(vs.object, 'spec', protocol)).forEach((route, routeIndex) => {
      asArray(dig(route, 'route')).forEach((entry, destinationIndex) => {
        const path = ['spec', protocol, routeIndex, 'route', destinationIndex, 'destination'];
        checkDestination(asObject(dig(entry, 'destination')) ?? {}, path, namespace, index, at);
      });
      const mirror = asObject(dig(route, 'mirror'));
      if (mirror)
        checkDestination(mirror, ['spec', protocol, routeIndex, 'mirror'], namespace, index, at);
    });
  }
}

function checkDestination(
  destination: Record<string, unknown>,
  path: (string | number)[],
  namespace: string,
  index: BundleIndex,
  at: Reporter,
) {
  const host = asString(destination['host']);
  if (!host) return;
  const target = serviceHost(host, namespace);
  if (!target) {
    const declared = index
      .ofKind('ServiceEntry')
      .some((entry) => asArray(dig(entry.object, 'spec', 'hosts')).includes(host));
    if (!declared) {
      at.add(
        'consistency/host',
        [...path, 'host'],
        `host ${host} is neither a Service name (short or <name>.<ns>.svc.cluster.local) nor a ServiceEntry host`,
      );
    }
    return;
  }
  const service = index.find('Service', target.name, target.namespace);
  if (!service) {
    at.add(
      'consistency/host',
      [...path, 'host'],
      `host ${host} names Service ${target.name} in namespace ${target.namespace}, which is not in the render`,
    );
    return;
  }
  const port = dig(destination, 'port', 'number');
  const ports = asArray(dig(service.object, 'spec', 'ports')).map((entry) => dig(entry, 'port'));
  if (port !== undefined && !ports.includes(port)) {
    at.add(
      'consistency/host',
      [...path, 'port', 'number'],
      `Service ${target.name} has no port ${JSON.stringify(port)} (it has ${ports.join(', ')})`,
    );
  }
  const subset = asString(destination['subset']);
  if (subset) {
    const rules = index
      .ofKind('DestinationRule')
      .filter((rule) =>
        sameService(
          asString(dig(rule.object, 'spec', 'host')),
          host,
          namespaceOf(rule, index.namespace),
          namespace,
        ),
      );
    if (rules.length === 0) {
      at.add(
        'consistency/subset',
        [...path, 'subset'],
        `no DestinationRule for host ${host} defines subset ${subset}`,
      );
    } else if (
      !rules.some((rule) =>
        asArray(dig(rule.object, 'spec', 'subsets')).some((s) => dig(s, 'name') === subset),
      )
    ) {
      at.add(
        'consistency/subset',
        [...path, 'subset'],
        `DestinationRule ${rules.map(nameOf).join(', ')} for host ${host} has no subset ${subset}`,
      );
    }
  }
}

function checkDestinationRuleHost(rule: Manifest, index: BundleIndex, at: Reporter) {
  const host = asString(dig(rule.object, 'spec', 'host'));
  const target = host ? serviceHost(host, namespaceOf(rule, index.namespace)) : undefined;
  if (target && !index.find('Service', target.name, target.namespace)) {
    at.add(
      'consistency/host',
      ['spec', 'host'],
      `host ${String(host)} names Service ${target.name}, which is not in the render`,
    );
  }
}

/** Principals are `cluster.local/ns/<namespace>/sa/<serviceaccount>`; only the render's namespace is checked. */
function checkAuthorizationPolicy(policy: Manifest, index: BundleIndex, at: Reporter) {
  const namespace = namespaceOf(policy, index.namespace);
  asArray(dig(policy.object, 'spec', 'rules')).forEach((rule, ruleIndex) => {
    asArray(dig(rule, 'from')).forEach((from, fromIndex) => {
      for (const field of ['principals', 'notPrincipals'] as const) {
        asArray(dig(from, 'source', field)).forEach((principal, position) => {
          const match =
            typeof principal === 'string'
              ? /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal)
              : null;
          const path = ['spec', 'rules', ruleIndex, 'from', fromIndex, 'source', field, position];
          if (typeof principal === 'string' && !match && !principal.includes('*')) {
            at.add(
              'consistency/principal',
              path,
              `principal ${principal} is not of the form cluster.local/ns/<namespace>/sa/<serviceaccount>`,
            );
          }
          const [, saNamespace, saName] = match ?? [];
          if (
            saNamespace === namespace &&
            saName &&
            !saName.includes('*') &&
            !index.find('ServiceAccount', saName, saNamespace)
          ) {
            at.add(
              'consistency/principal',
              path,
              `principal ${String(principal)} names ServiceAccount ${saName}, which is not in the render`,
            );
          }
        });
      }
    });
  });
}

// ---- selectors, autoscalers, monitoring ----

function checkSelectsPods(
  manifest: Manifest,
  path: string[],
  index: BundleIndex,
  at: Reporter,
  rule: string,
  optional = false,
) {
  const selector = asLabels(dig(manifest.object, ...path));
  if (Object.keys(selector).length === 0) {
    if (!optional) at.add(rule, path, 'the selector is empty');
    return;
  }
  const namespace = namespaceOf(manifest, index.namespace);
  const matched = index
    .podLabels()
    .some((pods) => pods.namespace === namespace && selectorMatches(selector, pods.labels));
  if (!matched) {
    at.add(
      rule,
      path,
      `selector ${JSON.stringify(selector)} matches the pods of no workload in the render`,
    );
  }
}

function checkServiceSelectsPods(service: Manifest, index: BundleIndex, at: Reporter) {
  if (dig(service.object, 'spec', 'type') === 'ExternalName') return;
  if (asObject(dig(service.object, 'spec', 'selector'))) {
    checkSelectsPods(service, ['spec', 'selector'], index, at, 'consistency/service-selector');
  }
}

function checkAutoscaler(hpa: Manifest, index: BundleIndex, at: Reporter) {
  const target = asObject(dig(hpa.object, 'spec', 'scaleTargetRef')) ?? {};
  const kind = asString(target['kind']);
  const name = asString(target['name']);
  const apiVersion = asString(target['apiVersion']);
  const found = index.all.find(
    (m) =>
      kindOf(m) === kind &&
      nameOf(m) === name &&
      namespaceOf(m, index.namespace) === namespaceOf(hpa, index.namespace) &&
      (apiVersion === undefined || m.object['apiVersion'] === apiVersion),
  );
  if (!found) {
    at.add(
      'consistency/hpa',
      ['spec', 'scaleTargetRef'],
      `scale target ${String(apiVersion)} ${String(kind)}/${String(name)} is not in the render`,
    );
  }
}

function checkServiceMonitor(monitor: Manifest, index: BundleIndex, at: Reporter) {
  const selector = dig(monitor.object, 'spec', 'selector');
  const namespaceSelector = asObject(dig(monitor.object, 'spec', 'namespaceSelector'));
  const namespaces = asArray(namespaceSelector?.['matchNames']).filter(
    (n): n is string => typeof n === 'string',
  );
  const anyNamespace = namespaceSelector?.['any'] === true;
  const allowed = (service: Manifest) => {
    const serviceNamespace = namespaceOf(service, index.namespace);
    if (anyNamespace) return true;
    return namespaces.length > 0
      ? namespaces.includes(serviceNamespace)
      : serviceNamespace === namespaceOf(monitor, index.namespace);
  };
  const services = index
    .ofKind('Service')
    .filter(
      (service) =>
        allowed(service) &&
        labelSelectorMatches(selector, asLabels(dig(service.object, 'metadata', 'labels'))),
    );
  if (services.length === 0) {
    at.add(
      'consistency/service-monitor',
      ['spec', 'selector'],
      `selector ${JSON.stringify(selector)} matches no Service in the render`,
    );
    return;
  }
  asArray(dig(monitor.object, 'spec', 'endpoints')).forEach((endpoint, position) => {
    const port = asString(dig(endpoint, 'port'));
    if (!port) return;
    const missing = services.filter(
      (service) =>
        !asArray(dig(service.object, 'spec', 'ports')).some((entry) => dig(entry, 'name') === port),
    );
    if (missing.length > 0) {
      at.add(
        'consistency/service-monitor',
        ['spec', 'endpoints', position, 'port'],
        `port ${port} is not a named port of the selected Service ${missing.map(nameOf).join(', ')}`,
      );
    }
  });
}
