/**
 * Schema check of one Kubernetes object: types and enums through the kubernetes-models
 * `validate()`, and declared fields through the models' type declarations.
 *
 * Why two parts: the models' schemas accept properties they do not declare, so `validate()`
 * passes `readinessProbe.httpGett` or `canary.stepz`; the API server (or the CRD's structural
 * schema) would then drop the field silently. kubernetes-models ships its schemas only as
 * precompiled validators, so the declared fields are read from the `.d.ts` interfaces generated
 * from the same OpenAPI/CRD schemas, through the TypeScript compiler API. Maps with free keys
 * (labels, annotations, ConfigMap data, resource quantities) are index signatures there, and
 * fields marked `x-kubernetes-preserve-unknown-fields` are `{}`: both accept any key.
 *
 * Supported: the Kubernetes groups the charts use (core, apps, batch, policy, networking,
 * autoscaling, rbac), Istio networking + security, Argo Rollouts, and the Prometheus operator.
 * Package versions are the newest whose `engines` accept Node 20: kubernetes-models 4.5.1,
 * @kubernetes-models/istio 2.3.0, @kubernetes-models/argo-rollouts 0.3.2,
 * @kubernetes-models/prometheus-operator 4.4.4 (the 5.x / 3.x / 2.x / 6.x lines need Node 22).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { formatPath, isObject, type Finding, type JsonObject } from './manifest.js';

const require = createRequire(import.meta.url);

/** npm package that models each API group, and the groups this check accepts. */
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  batch: 'kubernetes-models',
  policy: 'kubernetes-models',
  autoscaling: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  'rbac.authorization.k8s.io': 'kubernetes-models',
  'networking.istio.io': '@kubernetes-models/istio',
  'security.istio.io': '@kubernetes-models/istio',
  'argoproj.io': '@kubernetes-models/argo-rollouts',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/**
 * Istio promoted these APIs to `v1` unchanged (Istio 1.22); the newest Istio models that run on
 * Node 20 (2.3.0) lack some `v1` kinds, so those are checked against their `v1beta1` twin.
 */
const SAME_SCHEMA_AS: Readonly<Record<string, string>> = {
  'networking.istio.io/v1': 'networking.istio.io/v1beta1',
  'security.istio.io/v1': 'security.istio.io/v1beta1',
};

interface ModelClass {
  new (data: JsonObject): { validate(): void };
  readonly apiVersion?: string;
  readonly kind?: string;
}

interface KindModel {
  /** `apiVersion` of the model used (differs from the object's for a `SAME_SCHEMA_AS` twin). */
  readonly apiVersion: string;
  readonly kind: string;
  /** Import specifier of the model module, e.g. `kubernetes-models/apps/v1/Deployment`. */
  readonly specifier: string;
  readonly Model: ModelClass;
}

const modelCache = new Map<string, KindModel | undefined>();

/** The model of `apiVersion`/`kind`, or undefined when this check does not know that kind. */
export async function findModel(apiVersion: string, kind: string): Promise<KindModel | undefined> {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key);
  const model =
    (await loadModel(apiVersion, kind)) ??
    (SAME_SCHEMA_AS[apiVersion] ? await loadModel(SAME_SCHEMA_AS[apiVersion], kind) : undefined);
  modelCache.set(key, model);
  return model;
}

async function loadModel(apiVersion: string, kind: string): Promise<KindModel | undefined> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind) || kind.endsWith('List')) return undefined;
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const pkg = GROUP_PACKAGES[group];
  if (!pkg || !/^v\d+((alpha|beta)\d+)?$/.test(version)) return undefined;
  // kubernetes-models lays the core group out as `v1/`, every other group as `<group>/<version>/`.
  const specifier = `${pkg}/${group ? `${group}/` : ''}${version}/${kind}`;
  const packageDir = path.dirname(require.resolve(`${pkg}/package.json`));
  if (!existsSync(path.join(packageDir, `${specifier.slice(pkg.length + 1)}.d.ts`))) {
    return undefined;
  }
  const module = (await import(specifier)) as Record<string, unknown>;
  const Model = module[kind] as ModelClass | undefined;
  // Every schema definition has a class; only top-level resources carry apiVersion and kind.
  if (typeof Model !== 'function' || Model.kind !== kind || Model.apiVersion !== apiVersion) {
    return undefined;
  }
  return { apiVersion, kind, specifier, Model };
}

/** The supported API groups, for the message about an unknown kind. */
export function supportedGroups(): string[] {
  return Object.keys(GROUP_PACKAGES).map((group) => group || 'core');
}

/** One object to check, and how findings name it. */
export interface SchemaSubject {
  readonly object: JsonObject;
  /** `Kind/name`. */
  readonly ref: string;
}

/**
 * Checks objects: known kind, `validate()` (types, enums, required fields, formats) and
 * declared fields. Paths in the findings are relative to each object.
 */
export async function checkSchemas(subjects: readonly SchemaSubject[]): Promise<Finding[]> {
  const models = await Promise.all(
    subjects.map(({ object }) =>
      typeof object['apiVersion'] === 'string' && typeof object['kind'] === 'string'
        ? findModel(object['apiVersion'], object['kind'])
        : Promise.resolve(undefined),
    ),
  );
  const findings: Finding[] = [];
  subjects.forEach(({ object, ref }, index) => {
    const model = models[index];
    const apiVersion = String(object['apiVersion']);
    const kind = String(object['kind']);
    if (typeof object['apiVersion'] !== 'string' || typeof object['kind'] !== 'string') {
      findings.push({
        rule: 'schema',
        object: ref,
        message: 'apiVersion and kind must both be strings',
      });
      return;
    }
    if (!model) {
      findings.push({
        rule: 'schema/unknown-kind',
        object: ref,
        path: 'apiVersion',
        message: `unknown kind ${kind} in ${apiVersion} (supported API groups: ${supportedGroups().join(', ')})`,
      });
      return;
    }
    const data =
      model.apiVersion === apiVersion ? object : { ...object, apiVersion: model.apiVersion };
    try {
      new model.Model(data).validate();
    } catch (error) {
      findings.push(...validationFindings(error, ref));
    }
    for (const unknown of unknownFields(object, model)) {
      findings.push({
        rule: 'schema/unknown-field',
        object: ref,
        path: formatPath(unknown.path),
        message:
          `unknown field "${String(unknown.path.at(-1))}"` +
          (unknown.suggestion ? ` (did you mean "${unknown.suggestion}"?)` : '') +
          `: ${kind} ${apiVersion} does not declare it`,
      });
    }
  });
  return findings;
}

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function validationFindings(error: unknown, ref: string): Finding[] {
  const errors =
    isObject(error) && Array.isArray(error['errors']) ? (error['errors'] as AjvError[]) : [];
  if (errors.length === 0) {
    return [{ rule: 'schema', object: ref, message: String(error) }];
  }
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const entry of errors) {
    // A oneOf over "object or null" repeats its branch's error; the branch error says enough.
    if (entry.keyword === 'oneOf' || entry.keyword === 'anyOf') continue;
    const segments = (entry.instancePath ?? '')
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    let message = entry.message ?? 'is invalid';
    if (entry.keyword === 'enum' && Array.isArray(entry.params?.['allowedValues'])) {
      message = `must be one of ${entry.params['allowedValues'].map((value) => JSON.stringify(value)).join(', ')}`;
    }
    if (entry.keyword === 'required' && typeof entry.params?.['missingProperty'] === 'string') {
      segments.push(entry.params['missingProperty']);
      message = 'is required';
    }
    const pathText = formatPath(segments);
    const key = `${pathText} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ rule: 'schema', object: ref, path: pathText || undefined, message });
  }
  return findings;
}

// ---- declared fields, from the models' type declarations ----

interface TypeIndex {
  readonly checker: ts.TypeChecker;
  readonly types: Map<string, ts.Type>;
}

/** Kinds most charts render: the first type program includes them, so it is rarely rebuilt. */
const COMMON_SPECIFIERS = [
  'kubernetes-models/v1/ConfigMap',
  'kubernetes-models/v1/Secret',
  'kubernetes-models/v1/Service',
  'kubernetes-models/v1/ServiceAccount',
  'kubernetes-models/v1/Pod',
  'kubernetes-models/apps/v1/Deployment',
  'kubernetes-models/batch/v1/Job',
  'kubernetes-models/policy/v1/PodDisruptionBudget',
  'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService',
  '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule',
  '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway',
  '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy',
  '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication',
  '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication',
  '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout',
  '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate',
  '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
  '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
];

let typeIndex: { specifiers: Set<string>; index: TypeIndex } | undefined;

/**
 * The declared type of a kind. The TypeScript program behind it imports the interface of every
 * kind seen so far; a kind outside it rebuilds the program (about two seconds) with it added.
 */
function typeOf(model: KindModel): { checker: ts.TypeChecker; type: ts.Type } {
  if (!typeIndex?.specifiers.has(model.specifier)) {
    const specifiers = new Set([
      ...COMMON_SPECIFIERS,
      ...(typeIndex?.specifiers ?? []),
      model.specifier,
    ]);
    typeIndex = { specifiers, index: buildTypeIndex([...specifiers]) };
  }
  const type = typeIndex.index.types.get(model.specifier);
  if (!type) {
    throw new Error(`schemas: no type declaration found for ${model.specifier}`);
  }
  return { checker: typeIndex.index.checker, type };
}

function buildTypeIndex(specifiers: string[]): TypeIndex {
  const entry = path.join(import.meta.dirname, '__schema-types__.ts');
  const lines = specifiers.map((specifier, index) => {
    const kind = specifier.slice(specifier.lastIndexOf('/') + 1);
    return `import type { I${kind} as T${index} } from '${specifier}';\nexport type K${index} = T${index};`;
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === entry
      ? ts.createSourceFile(fileName, source, languageVersion)
      : getSourceFile(fileName, languageVersion, ...rest);
  host.fileExists = (fileName) => fileName === entry || fileExists(fileName);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(entry);
  const problems = sourceFile ? program.getSemanticDiagnostics(sourceFile) : [];
  if (!sourceFile || problems.length > 0) {
    const text = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    throw new Error(`schemas: cannot load the model type declarations: ${text.join('; ')}`);
  }
  const types = new Map<string, ts.Type>();
  for (const statement of sourceFile.statements) {
    if (ts.isTypeAliasDeclaration(statement)) {
      const index = Number(statement.name.text.slice(1));
      const specifier = specifiers[index];
      if (specifier) types.set(specifier, checker.getTypeAtLocation(statement.name));
    }
  }
  return { checker, types };
}

interface UnknownField {
  readonly path: (string | number)[];
  readonly suggestion?: string;
}

/** Every property of `object` that its kind's type declaration does not declare. */
export function unknownFields(object: JsonObject, model: KindModel): UnknownField[] {
  const { checker, type } = typeOf(model);
  const found: UnknownField[] = [];
  walk(checker, object, type, [], found);
  return found;
}

const FREE_FORM = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive;

function walk(
  checker: ts.TypeChecker,
  value: unknown,
  type: ts.Type,
  at: (string | number)[],
  found: UnknownField[],
): void {
  if (value === null || value === undefined) return;
  const candidates = (type.isUnion() ? type.types : [type]).filter(
    (member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
  );
  if (candidates.some((member) => member.flags & FREE_FORM)) return;

  if (Array.isArray(value)) {
    const arrayType = candidates.find((member) => checker.isArrayType(member));
    const element = arrayType
      ? checker.getTypeArguments(arrayType as ts.TypeReference)[0]
      : undefined;
    if (element)
      value.forEach((item, index) => walk(checker, item, element, [...at, index], found));
    return;
  }
  if (!isObject(value)) return;

  const objects = candidates.filter(
    (member) => member.flags & ts.TypeFlags.Object && !checker.isArrayType(member),
  );
  // No object shape to compare with: validate() reports the wrong type.
  if (objects.length === 0) return;
  const indexTypes = objects
    .map((member) => checker.getIndexInfoOfType(member, ts.IndexKind.String)?.type)
    .filter((indexType): indexType is ts.Type => indexType !== undefined);
  const openObject = objects.some(
    (member) =>
      member.getProperties().length === 0 &&
      !checker.getIndexInfoOfType(member, ts.IndexKind.String),
  );
  if (openObject) return;

  for (const [key, child] of Object.entries(value)) {
    const property = objects
      .map((member) => member.getProperty(key))
      .find((symbol) => symbol !== undefined);
    if (property) {
      walk(checker, child, checker.getTypeOfSymbol(property), [...at, key], found);
    } else if (indexTypes[0]) {
      walk(checker, child, indexTypes[0], [...at, key], found);
    } else {
      const declared = objects.flatMap((member) => member.getProperties().map((p) => p.name));
      found.push({ path: [...at, key], suggestion: closest(key, declared) });
    }
  }
}

/** The declared name nearest to a misspelling (edit distance ≤ 2, or same letters in any case). */
function closest(key: string, declared: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of declared) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
