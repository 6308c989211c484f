/**
 * Policy check of single objects: how pods run (the Pod Security "restricted" profile plus the
 * team's rules on resources, probes and images), how workloads select their pods, and how
 * Services name their ports for Istio.
 */
import {
  asArray,
  asLabels,
  asObject,
  asString,
  dig,
  formatPath,
  type Finding,
  type JsonObject,
  type Manifest,
  refOf,
} from './manifest.js';

/** The only selector labels a workload may use: stable across upgrades (bitnami/charts style). */
export const SELECTOR_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance'] as const;

/** A pod template found in a workload, and whether its pods are meant to keep running. */
export interface PodTemplate {
  /** Path of the pod template (`metadata` + `spec`) inside the object. */
  readonly path: (string | number)[];
  readonly template: JsonObject;
  /** False for Jobs, CronJobs and helm hook pods: they finish, so probes make no sense. */
  readonly longRunning: boolean;
}

/** The pod template of a workload kind, or undefined for objects that run no pods. */
export function podTemplateOf(manifest: Manifest): PodTemplate | undefined {
  const object = manifest.object;
  const kind = asString(object['kind']);
  const hook = asString(dig(object, 'metadata', 'annotations', 'helm.sh/hook')) !== undefined;
  const at = (path: (string | number)[], longRunning: boolean): PodTemplate | undefined => {
    const template = asObject(dig(object, ...path));
    return template ? { path, template, longRunning } : undefined;
  };
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Rollout':
      return at(['spec', 'template'], !hook);
    case 'Job':
      return at(['spec', 'template'], false);
    case 'CronJob':
      return at(['spec', 'jobTemplate', 'spec', 'template'], false);
    case 'Pod':
      return { path: [], template: object, longRunning: !hook };
    default:
      return undefined;
  }
}

/** Every policy finding for one object. */
export function checkPolicy(manifest: Manifest): Finding[] {
  const findings: Finding[] = [];
  const ref = refOf(manifest);
  const add = (rule: string, path: (string | number)[], message: string) =>
    findings.push({ rule: `policy/${rule}`, object: ref, path: formatPath(path), message });

  const pod = podTemplateOf(manifest);
  if (pod) {
    checkPodSpec(pod, add);
    checkWorkloadSelector(manifest, pod, add);
  }
  if (manifest.object['kind'] === 'Service') {
    checkService(manifest.object, add);
  }
  if (manifest.object['kind'] === 'PodDisruptionBudget') {
    checkSelectorKeys(dig(manifest.object, 'spec', 'selector'), ['spec', 'selector'], add);
  }
  return findings;
}

type Add = (rule: string, path: (string | number)[], message: string) => void;

function checkPodSpec(pod: PodTemplate, add: Add) {
  const specPath = [...pod.path, 'spec'];
  const spec = asObject(dig(pod.template, 'spec')) ?? {};
  const podSecurity = asObject(spec['securityContext']) ?? {};

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true)
      add('host-namespace', [...specPath, field], `${field} must not be true`);
  }
  asArray(spec['volumes']).forEach((volume, index) => {
    if (dig(volume, 'hostPath') !== undefined) {
      add(
        'host-path',
        [...specPath, 'volumes', index, 'hostPath'],
        'hostPath volumes are not allowed',
      );
    }
  });
  if (podSecurity['runAsUser'] === 0) {
    add(
      'run-as-non-root',
      [...specPath, 'securityContext', 'runAsUser'],
      'runAsUser 0 runs the pod as root',
    );
  }

  const containers: { list: string; index: number; container: JsonObject }[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    asArray(spec[list]).forEach((container, index) => {
      if (asObject(container)) containers.push({ list, index, container: container as JsonObject });
    });
  }
  if (!containers.some((entry) => entry.list === 'containers')) {
    add('containers', [...specPath, 'containers'], 'the pod has no containers');
  }

  for (const { list, index, container } of containers) {
    const at = [...specPath, list, index];
    const name = asString(container['name']) ?? `#${index}`;
    const security = asObject(container['securityContext']) ?? {};
    const sc = [...at, 'securityContext'];

    const runAsNonRoot = security['runAsNonRoot'] ?? podSecurity['runAsNonRoot'];
    if (runAsNonRoot !== true) {
      add(
        'run-as-non-root',
        security['runAsNonRoot'] === false ? [...sc, 'runAsNonRoot'] : sc,
        `container "${name}" must set runAsNonRoot: true (here or in the pod securityContext)`,
      );
    }
    if (security['runAsUser'] === 0) {
      add(
        'run-as-non-root',
        [...sc, 'runAsUser'],
        `container "${name}" runs as root (runAsUser 0)`,
      );
    }
    if (security['allowPrivilegeEscalation'] !== false) {
      add(
        'privilege-escalation',
        [...sc, 'allowPrivilegeEscalation'],
        `container "${name}" must set allowPrivilegeEscalation: false`,
      );
    }
    if (security['privileged'] === true) {
      add('privileged', [...sc, 'privileged'], `container "${name}" must not be privileged`);
    }
    const dropped = asArray(dig(security, 'capabilities', 'drop'));
    if (!dropped.includes('ALL')) {
      add(
        'capabilities',
        [...sc, 'capabilities', 'drop'],
        `container "${name}" must drop ALL capabilities`,
      );
    }
    const seccomp =
      asString(dig(security, 'seccompProfile', 'type')) ??
      asString(dig(podSecurity, 'seccompProfile', 'type'));
    if (seccomp !== 'RuntimeDefault') {
      add(
        'seccomp',
        [...sc, 'seccompProfile', 'type'],
        `container "${name}" must run with seccompProfile RuntimeDefault (pod or container), found ${seccomp ?? 'none'}`,
      );
    }
    if (security['readOnlyRootFilesystem'] !== true) {
      add(
        'read-only-root-filesystem',
        [...sc, 'readOnlyRootFilesystem'],
        `container "${name}" must set readOnlyRootFilesystem: true`,
      );
    }

    for (const [group, resource] of [
      ['requests', 'cpu'],
      ['limits', 'memory'],
    ] as const) {
      if (dig(container, 'resources', group, resource) === undefined) {
        add(
          'resources',
          [...at, 'resources', group, resource],
          `container "${name}" must set resources.${group}.${resource}`,
        );
      }
    }

    if (pod.longRunning && list === 'containers') {
      for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
        if (!asObject(container[probe])) {
          add(
            'probes',
            [...at, probe],
            `container "${name}" of a long-running workload has no ${probe}`,
          );
        }
      }
    }

    const image = asString(container['image']);
    const problem = image === undefined ? 'has no image' : imageProblem(image);
    if (problem) add('image', [...at, 'image'], `container "${name}" ${problem}`);
  }
}

/** Why an image reference is not pinned, or undefined when it is. */
export function imageProblem(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return `image "${image}" has no tag (it means latest)`;
  const tag = image.slice(colon + 1);
  if (tag === '' || tag === 'latest')
    return `image "${image}" uses the tag "${tag || '(empty)'}"; pin a version`;
  return undefined;
}

function checkWorkloadSelector(manifest: Manifest, pod: PodTemplate, add: Add) {
  // Jobs get a generated selector; Pods have none.
  const kind = manifest.object['kind'];
  if (kind === 'Job' || kind === 'CronJob' || kind === 'Pod') return;
  const selector = dig(manifest.object, 'spec', 'selector');
  if (!checkSelectorKeys(selector, ['spec', 'selector'], add)) return;
  const matchLabels = asLabels(dig(selector, 'matchLabels'));
  const labels = asLabels(dig(pod.template, 'metadata', 'labels'));
  for (const [key, value] of Object.entries(matchLabels)) {
    if (labels[key] !== value) {
      add(
        'selector',
        [...pod.path, 'metadata', 'labels', key],
        `the pod template label ${key}=${labels[key] ?? '(missing)'} does not match the selector's ${value}`,
      );
    }
  }
}

/** Checks a LabelSelector uses exactly the selector labels; true when it does. */
function checkSelectorKeys(selector: unknown, path: (string | number)[], add: Add): boolean {
  if (!asObject(selector)) {
    add('selector', path, 'no selector');
    return false;
  }
  if (asArray(dig(selector, 'matchExpressions')).length > 0) {
    add(
      'selector',
      [...path, 'matchExpressions'],
      `use matchLabels with exactly ${SELECTOR_LABELS.join(' + ')}, not matchExpressions`,
    );
    return false;
  }
  const keys = Object.keys(asLabels(dig(selector, 'matchLabels'))).sort();
  if (keys.join(',') !== [...SELECTOR_LABELS].sort().join(',')) {
    add(
      'selector',
      [...path, 'matchLabels'],
      `selector labels must be exactly ${SELECTOR_LABELS.join(' + ')} (stable across upgrades), found ${keys.join(', ') || 'none'}`,
    );
    return false;
  }
  return true;
}

/** Istio reads a port's protocol from appProtocol or the port name's prefix. */
const PROTOCOL_NAME = /^(http|http2|https|grpc|grpc-web|tcp|tls|mongo|mysql|redis)(-.*)?$/;

function checkService(service: JsonObject, add: Add) {
  const selector = dig(service, 'spec', 'selector');
  if (asObject(selector)) {
    const keys = Object.keys(asLabels(selector)).sort();
    if (keys.join(',') !== [...SELECTOR_LABELS].sort().join(',')) {
      add(
        'selector',
        ['spec', 'selector'],
        `Service selector labels must be exactly ${SELECTOR_LABELS.join(' + ')}, found ${keys.join(', ') || 'none'}`,
      );
    }
  }
  asArray(dig(service, 'spec', 'ports')).forEach((port, index) => {
    const name = asString(dig(port, 'name'));
    const appProtocol = asString(dig(port, 'appProtocol'));
    if (!appProtocol && !(name && PROTOCOL_NAME.test(name))) {
      add(
        'service-port',
        ['spec', 'ports', index, 'name'],
        `port ${String(dig(port, 'port'))} must be named http/grpc (or set appProtocol) so Istio knows its protocol; found name ${name ?? '(none)'}`,
      );
    }
  });
}
