/**
 * The CI gate: the repository's charts (every ci/ profile) and istio/ files pass the whole
 * check. Then mistakes seeded into copies of the real charts and into the real umbrella
 * render, to show the checks catch them in the shapes the charts really produce (the fixture
 * chart of seeded.spec.ts covers the same mistakes on text this folder controls).
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCharts,
  formatFinding,
  formatReport,
  REQUIRED_PROFILES,
  type CheckResult,
} from './check.js';
import { checkConsistency } from './consistency.js';
import { asArray, dig, type Finding, type Manifest, parseManifests } from './manifest.js';
import { ensureToolchain } from './toolchain.js';

type Located = Finding & { profile: string };

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Chart names fixed by the deploy contract. */
const CONTRACT_CHARTS = [
  'nomaly-common',
  'auth-service',
  'dataset-service',
  'model-service',
  'detector-service',
  'nomaly',
];

let result: CheckResult;
let helm = '';

beforeAll(async () => {
  helm = (await ensureToolchain()).helm;
  result = await checkCharts({ root: ROOT, helm });
});

describe('charts/ and istio/', () => {
  it('hold every chart of the deploy contract, each application chart with its profiles', () => {
    const targets = new Set(result.rows.map((row) => row.target));
    expect(CONTRACT_CHARTS.filter((chart) => !targets.has(`charts/${chart}`))).toEqual([]);
    for (const chart of CONTRACT_CHARTS.filter((name) => name !== 'nomaly-common')) {
      const rendered = result.rows
        .filter((row) => row.target === `charts/${chart}` && row.objects > 0)
        .map((row) => row.profile);
      expect(
        REQUIRED_PROFILES.filter((profile) => !rendered.includes(profile)),
        `charts/${chart}`,
      ).toEqual([]);
    }
  });

  it('pass the whole check', () => {
    const errors = result.rows.flatMap((row) =>
      row.findings.map((finding) => formatFinding(row, finding)),
    );
    expect(errors, formatReport(result)).toEqual([]);
  });
});

describe('seeded into a copy of the real charts', () => {
  /** The seeded chart; nomaly-common's templates reach it through its dependency. */
  const CHART = 'auth-service';
  const scratch: string[] = [];
  afterEach(async () => {
    await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /**
   * Copies charts/ and istio/, applies `seed` to the first template (nomaly-common's, then the
   * chart's own) that `pattern` matches, and checks the chart. Patterns are loose so the
   * charts may be reworded; one that matches nothing fails the test rather than seeding nothing.
   */
  async function checkSeeded(pattern: RegExp, seed: (text: string) => string): Promise<Located[]> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'nomaly-seeded-real-'));
    scratch.push(root);
    await cp(path.join(ROOT, 'charts'), path.join(root, 'charts'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    await cp(path.join(ROOT, 'istio'), path.join(root, 'istio'), { recursive: true });
    let seeded = false;
    for (const dir of ['charts/nomaly-common/templates', `charts/${CHART}/templates`]) {
      for (const file of (await readdir(path.join(root, dir))).sort()) {
        const target = path.join(root, dir, file);
        const text = await readFile(target, 'utf8');
        if (seeded || !pattern.test(text)) continue;
        await writeFile(target, seed(text));
        seeded = true;
      }
    }
    expect(seeded, `no template of nomaly-common or ${CHART} matches ${String(pattern)}`).toBe(
      true,
    );
    const seededResult = await checkCharts({ root, helm, only: [CHART] });
    return seededResult.rows.flatMap((row) =>
      row.findings.map((finding) => ({ ...finding, profile: row.profile })),
    );
  }

  it('finds a misspelled field (readinessProbe.httpGett)', async () => {
    const found = await checkSeeded(/readinessProbe:(\s+)httpGet:/, (text) =>
      text.replace(/readinessProbe:(\s+)httpGet:/, 'readinessProbe:$1httpGett:'),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        profile: 'canary',
        rule: 'schema/unknown-field',
        object: `Rollout/${CHART}`,
        path: expect.stringMatching(
          /^spec\.template\.spec\.containers\[\d+\]\.readinessProbe\.httpGett$/,
        ) as unknown,
      }),
    );
  });

  it('finds a wrong type (containerPort rendered as a string)', async () => {
    const pattern = /containerPort: \{\{\s*([^}]+?)\s*\}\}/;
    const found = await checkSeeded(pattern, (text) =>
      text.replace(pattern, 'containerPort: {{ $1 | quote }}'),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        profile: 'deployment',
        rule: 'schema',
        object: `Deployment/${CHART}`,
        path: expect.stringMatching(
          /^spec\.template\.spec\.containers\[\d+\]\.ports\[\d+\]\.containerPort$/,
        ) as unknown,
        message: 'must be integer',
      }),
    );
  });

  it('finds a root container (runAsUser: 0)', async () => {
    const found = await checkSeeded(/runAsUser: 10001/, (text) =>
      text.replaceAll('runAsUser: 10001', 'runAsUser: 0'),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        profile: 'canary',
        rule: 'policy/run-as-non-root',
        object: `Rollout/${CHART}`,
        path: expect.stringMatching(
          /^spec\.template\.spec\.containers\[\d+\]\.securityContext\.runAsUser$/,
        ) as unknown,
      }),
    );
  });

  it('finds a missing readiness probe', async () => {
    // The key line and every line indented deeper below it.
    const pattern = /^([ \t]*)readinessProbe:\n(?:\1[ \t]+.*\n)*/m;
    const found = await checkSeeded(pattern, (text) => text.replace(pattern, ''));
    expect(found).toContainEqual(
      expect.objectContaining({
        profile: 'default',
        rule: 'policy/probes',
        object: `Rollout/${CHART}`,
        path: expect.stringMatching(
          /^spec\.template\.spec\.containers\[\d+\]\.readinessProbe$/,
        ) as unknown,
      }),
    );
  });
});

describe('seeded into the real umbrella render', () => {
  /** The umbrella's canary render, the istio/ files it renders included. */
  function canaryRender(): Manifest[] {
    const render = result.renders.get('charts/nomaly:canary');
    expect(render, 'charts/nomaly has no canary render').toBeDefined();
    return (render ?? []).map((manifest) => ({
      ...manifest,
      object: structuredClone(manifest.object),
    }));
  }

  function rolloutWithRoute(render: Manifest[]): Manifest {
    const rollout = render.find(
      (m) =>
        m.object['kind'] === 'Rollout' &&
        asArray(
          dig(
            m.object,
            'spec',
            'strategy',
            'canary',
            'trafficRouting',
            'istio',
            'virtualService',
            'routes',
          ),
        ).length > 0,
    );
    expect(
      rollout,
      'the umbrella canary render has no Rollout routed through an Istio VirtualService',
    ).toBeDefined();
    return rollout as Manifest;
  }

  const newFindings = (before: Finding[], after: Finding[]) =>
    after.filter(
      (finding) => !before.some((old) => JSON.stringify(old) === JSON.stringify(finding)),
    );

  it('finds a Rollout route that the VirtualService lacks', () => {
    const render = canaryRender();
    const before = checkConsistency({ owned: render, context: [], namespace: 'nomaly' });
    const rollout = rolloutWithRoute(render);
    const routes = dig(
      rollout.object,
      'spec',
      'strategy',
      'canary',
      'trafficRouting',
      'istio',
      'virtualService',
      'routes',
    ) as string[];
    routes[0] = `${routes[0]}-renamed`;
    const found = newFindings(
      before,
      checkConsistency({ owned: render, context: [], namespace: 'nomaly' }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        rule: 'consistency/route',
        path: 'spec.strategy.canary.trafficRouting.istio.virtualService.routes[0]',
        message: expect.stringContaining(`has no HTTP route named ${routes[0]}`) as unknown,
      }),
    ]);
  });

  it('finds an AnalysisTemplate that is not rendered', () => {
    const render = canaryRender();
    const before = checkConsistency({ owned: render, context: [], namespace: 'nomaly' });
    const rollout = rolloutWithRoute(render);
    const name = dig(
      rollout.object,
      'spec',
      'strategy',
      'canary',
      'analysis',
      'templates',
      0,
      'templateName',
    );
    expect(typeof name, 'the Rollout has no background analysis').toBe('string');
    const without = render.filter(
      (m) =>
        !(m.object['kind'] === 'AnalysisTemplate' && dig(m.object, 'metadata', 'name') === name),
    );
    const found = newFindings(
      before,
      checkConsistency({ owned: without, context: [], namespace: 'nomaly' }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        rule: 'consistency/analysis',
        path: 'spec.strategy.canary.analysis.templates[0].templateName',
        message: `AnalysisTemplate ${String(name)} is not in the render`,
      }),
    );
  });
});

describe('istio/examples', () => {
  it('are each checked as a replacement of the objects they name', async () => {
    const files = (await readdir(path.join(ROOT, 'istio', 'examples'))).filter((file) =>
      file.endsWith('.yaml'),
    );
    for (const file of files) {
      const parsed = parseManifests(
        await readFile(path.join(ROOT, 'istio', 'examples', file), 'utf8'),
        file,
      );
      const row = result.rows.find((r) => r.target === `istio/examples/${file}`);
      expect(row?.objects, file).toBe(parsed.manifests.length);
    }
  });
});
