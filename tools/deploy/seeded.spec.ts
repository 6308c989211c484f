/**
 * Seeded mistakes: each test writes the fixture chart (fixture.ts) to a scratch folder, injects
 * ONE mistake into a template, a values file or a file beside it, runs the real pipeline (helm
 * lint + template, then the checks) and asserts the specific finding.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkCharts, formatReport, type CheckResult } from './check.js';
import { editFile, FIXTURE_CHART, writeFixture } from './fixture.js';
import type { Finding } from './manifest.js';
import { ensureToolchain } from './toolchain.js';

const CHART = `charts/${FIXTURE_CHART}`;
let helm = '';
const scratch: string[] = [];

beforeAll(async () => {
  helm = (await ensureToolchain()).helm;
});

afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes the fixture, lets `seed` break it (paths relative to the chart), runs the check. */
async function checkSeeded(
  seed: (chartFile: (file: string) => string) => Promise<void>,
): Promise<CheckResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'nomaly-seeded-'));
  scratch.push(root);
  await writeFixture(root);
  await seed((file) => path.join(root, CHART, file));
  return checkCharts({ root, helm });
}

type Located = Finding & { target: string; profile: string };

function findings(result: CheckResult): Located[] {
  return result.rows.flatMap((row) =>
    row.findings.map((finding) => ({ ...finding, target: row.target, profile: row.profile })),
  );
}

describe('seeded mistakes', () => {
  it('passes the unchanged fixture, so every finding below comes from its seed', async () => {
    const result = await checkSeeded(() => Promise.resolve());
    expect(findings(result), formatReport(result)).toEqual([]);
    expect(result.rows.map((row) => `${row.target} ${row.profile}`)).toEqual([
      `${CHART} bluegreen`,
      `${CHART} canary`,
      `${CHART} default`,
      `${CHART} deployment`,
      'istio *.yaml',
    ]);
  });

  it('finds a misspelled probe field (readinessProbe.httpGett) in every profile', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('values.yaml'), 'readinessProbe:\n  httpGet:', 'readinessProbe:\n  httpGett:'),
    );
    const found = findings(result).filter((f) => f.rule === 'schema/unknown-field');
    expect(found.map((f) => `${f.profile} ${f.object} ${f.path}`).sort()).toEqual([
      'bluegreen Rollout/fixture-service spec.template.spec.containers[0].readinessProbe.httpGett',
      'canary Rollout/fixture-service spec.template.spec.containers[0].readinessProbe.httpGett',
      'default Rollout/fixture-service spec.template.spec.containers[0].readinessProbe.httpGett',
      'deployment Deployment/fixture-service spec.template.spec.containers[0].readinessProbe.httpGett',
    ]);
    expect(found[0]?.message).toContain('did you mean "httpGet"');
  });

  it('finds a misspelled Rollout field (spec.strategy.canary.stepz)', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('templates/workload.yaml'), '      steps:\n', '      stepz:\n'),
    );
    expect(findings(result)).toContainEqual(
      expect.objectContaining({
        profile: 'canary',
        rule: 'schema/unknown-field',
        object: 'Rollout/fixture-service',
        path: 'spec.strategy.canary.stepz',
        message: expect.stringContaining('did you mean "steps"') as unknown,
      }),
    );
  });

  it('finds a wrong type (replicas: "three")', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('values.yaml'), 'replicaCount: 2', 'replicaCount: three'),
    );
    const found = findings(result).filter((f) => f.rule === 'schema');
    expect(found.map((f) => `${f.profile} ${f.object} ${f.path}: ${f.message}`).sort()).toEqual([
      'bluegreen Rollout/fixture-service spec.replicas: must be integer',
      'canary Rollout/fixture-service spec.replicas: must be integer',
      'default Rollout/fixture-service spec.replicas: must be integer',
      'deployment Deployment/fixture-service spec.replicas: must be integer',
    ]);
  });

  it('finds a containerPort rendered as a string', async () => {
    const result = await checkSeeded((file) =>
      editFile(
        file('templates/workload.yaml'),
        'containerPort: {{ .Values.ports.grpc }}',
        'containerPort: {{ .Values.ports.grpc | quote }}',
      ),
    );
    expect(findings(result)).toContainEqual(
      expect.objectContaining({
        profile: 'deployment',
        rule: 'schema',
        object: 'Deployment/fixture-service',
        path: 'spec.template.spec.containers[0].ports[1].containerPort',
        message: 'must be integer',
      }),
    );
  });

  it('finds a root container (runAsUser: 0)', async () => {
    const result = await checkSeeded((file) =>
      editFile(
        file('values.yaml'),
        'securityContext:\n  allowPrivilegeEscalation: false',
        'securityContext:\n  runAsUser: 0\n  allowPrivilegeEscalation: false',
      ),
    );
    const found = findings(result).filter((f) => f.rule === 'policy/run-as-non-root');
    expect(found).toHaveLength(4);
    expect(found).toContainEqual(
      expect.objectContaining({
        profile: 'default',
        object: 'Rollout/fixture-service',
        path: 'spec.template.spec.containers[0].securityContext.runAsUser',
        message: 'container "fixture-service" runs as root (runAsUser 0)',
      }),
    );
  });

  it('finds runAsNonRoot: false', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('values.yaml'), '  runAsNonRoot: true\n', '  runAsNonRoot: false\n'),
    );
    expect(findings(result)).toContainEqual(
      expect.objectContaining({
        profile: 'deployment',
        rule: 'policy/run-as-non-root',
        object: 'Deployment/fixture-service',
        path: 'spec.template.spec.containers[0].securityContext',
        message: expect.stringContaining('must set runAsNonRoot: true') as unknown,
      }),
    );
  });

  it('finds a missing readiness probe', async () => {
    const result = await checkSeeded((file) =>
      editFile(
        file('templates/workload.yaml'),
        '          readinessProbe:\n            {{- toYaml .Values.readinessProbe | nindent 12 }}\n',
        '',
      ),
    );
    const found = findings(result).filter((f) => f.rule === 'policy/probes');
    expect(found.map((f) => `${f.profile} ${f.object} ${f.path}`).sort()).toEqual([
      'bluegreen Rollout/fixture-service spec.template.spec.containers[0].readinessProbe',
      'canary Rollout/fixture-service spec.template.spec.containers[0].readinessProbe',
      'default Rollout/fixture-service spec.template.spec.containers[0].readinessProbe',
      'deployment Deployment/fixture-service spec.template.spec.containers[0].readinessProbe',
    ]);
  });

  it('finds a latest image tag', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('ci/canary-values.yaml'), 'rollout:', 'image:\n  tag: latest\nrollout:'),
    );
    const found = findings(result).filter((f) => f.rule === 'policy/image');
    expect(found).toEqual([
      expect.objectContaining({
        profile: 'canary',
        object: 'Rollout/fixture-service',
        path: 'spec.template.spec.containers[0].image',
        message:
          'container "fixture-service" image "ghcr.io/nomaly/fixture-service:latest" uses the tag "latest"; pin a version',
      }),
    ]);
  });

  it('finds a Rollout route that the VirtualService lacks', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('values.yaml'), 'route: fixture-primary', 'route: fixture-primry'),
    );
    const found = findings(result).filter((f) => f.rule === 'consistency/route');
    expect(found.map((f) => `${f.profile} ${f.object} ${f.path}: ${f.message}`).sort()).toEqual([
      'canary Rollout/fixture-service spec.strategy.canary.trafficRouting.istio.virtualService.routes[0]: VirtualService nomaly has no HTTP route named fixture-primry (it has fixture-primary)',
      'default Rollout/fixture-service spec.strategy.canary.trafficRouting.istio.virtualService.routes[0]: VirtualService nomaly has no HTTP route named fixture-primry (it has fixture-primary)',
    ]);
  });

  it('finds a missing AnalysisTemplate', async () => {
    const result = await checkSeeded((file) =>
      editFile(
        file('templates/analysistemplate.yaml'),
        '{{- if .Values.rollout.enabled }}',
        '{{- if false }}',
      ),
    );
    const found = findings(result).filter((f) => f.rule === 'consistency/analysis');
    expect(found.map((f) => `${f.profile} ${f.path}: ${f.message}`).sort()).toEqual([
      'bluegreen spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName: AnalysisTemplate fixture-service-success-rate is not in the render',
      'canary spec.strategy.canary.analysis.templates[0].templateName: AnalysisTemplate fixture-service-success-rate is not in the render',
      'default spec.strategy.canary.analysis.templates[0].templateName: AnalysisTemplate fixture-service-success-rate is not in the render',
    ]);
  });

  it('finds an AnalysisTemplate argument without a default that the Rollout does not pass', async () => {
    const result = await checkSeeded((file) =>
      editFile(
        file('templates/analysistemplate.yaml'),
        '    - name: service-name\n',
        '    - name: service-name\n    - name: namespace\n',
      ),
    );
    expect(findings(result)).toContainEqual(
      expect.objectContaining({
        profile: 'canary',
        rule: 'consistency/analysis',
        path: 'spec.strategy.canary.analysis.args',
        message:
          'AnalysisTemplate fixture-service-success-rate needs the argument namespace (it has no default), and this analysis does not pass it',
      }),
    );
  });

  it('reports a template that helm cannot render, and keeps checking the other profiles', async () => {
    const result = await checkSeeded((file) =>
      editFile(file('ci/bluegreen-values.yaml'), 'strategy: blueGreen', 'strategy: [blueGreen'),
    );
    const bluegreen = result.rows.find((row) => row.profile === 'bluegreen');
    expect(bluegreen?.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['helm/lint', 'helm/template']),
    );
    expect(result.rows.find((row) => row.profile === 'canary')?.findings).toEqual([]);
  });
});
