/**
 * The helm commands the chart check runs, with helm's home folders pointed at a scratch folder
 * so that a run neither reads nor writes the user's helm configuration and needs no network.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { KUBECTL_VERSION } from './toolchain.js';

/**
 * API groups of the CRDs the charts target. `helm template` has no cluster to ask, so charts
 * that gate a Rollout or a ServiceMonitor on `.Capabilities.APIVersions` render them here.
 */
export const CRD_API_VERSIONS = [
  'argoproj.io/v1alpha1',
  'networking.istio.io/v1',
  'security.istio.io/v1',
  'monitoring.coreos.com/v1',
];

export interface HelmResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export class Helm {
  private readonly env: NodeJS.ProcessEnv;

  /**
   * @param binary path of the helm binary
   * @param home scratch folder for helm's cache, configuration and data
   */
  constructor(
    private readonly binary: string,
    home: string,
  ) {
    this.env = {
      ...process.env,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
      NO_COLOR: '1',
    };
  }

  /** Packages the `file://` dependencies into `<chart>/charts/`. */
  dependencyBuild(chartDir: string): Promise<HelmResult> {
    return this.run(['dependency', 'build', chartDir, '--skip-refresh']);
  }

  /** `helm lint --strict`, with a values file when the chart has profiles. */
  lint(chartDir: string, valuesFile?: string): Promise<HelmResult> {
    const values = valuesFile ? ['-f', valuesFile] : [];
    return this.run(['lint', '--strict', chartDir, ...values, '--kube-version', KUBECTL_VERSION]);
  }

  /** `helm template` of one profile into a namespace. */
  template(
    release: string,
    chartDir: string,
    namespace: string,
    valuesFile: string,
  ): Promise<HelmResult> {
    return this.run([
      'template',
      release,
      chartDir,
      '--namespace',
      namespace,
      '-f',
      valuesFile,
      '--kube-version',
      KUBECTL_VERSION,
      ...CRD_API_VERSIONS.flatMap((apiVersion) => ['--api-versions', apiVersion]),
    ]);
  }

  private run(args: string[]): Promise<HelmResult> {
    return new Promise((resolve) => {
      execFile(
        this.binary,
        args,
        { env: this.env, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          resolve({ ok: !error, stdout, stderr: stderr || (error?.message ?? '') }),
      );
    });
  }
}

/**
 * The problems in `helm lint` output: its `[ERROR]` and `[WARNING]` lines (`--strict` fails on
 * both), or the whole output when helm failed without one.
 */
export function lintProblems(result: HelmResult): string[] {
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\[(ERROR|WARNING)\]/.test(line));
  if (lines.length > 0) return lines;
  if (result.ok) return [];
  return [(result.stderr || result.stdout).trim() || 'helm lint failed without output'];
}
