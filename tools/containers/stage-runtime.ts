/**
 * Lays out what one app needs at run time, taken from a built and pruned workspace: the
 * Dockerfile's build stage runs it after `npm ci --omit=dev --workspace apps/<app>` and copies
 * the result into the runtime image as `/app`.
 *
 * The tree keeps the workspace's shape because the installed `node_modules/@nomaly/*` are
 * symlinks into `apps/` and `libs/`, whose `exports` point at their `dist/`. For the app and
 * every workspace package it needs in production (`dependencies`, transitively, never
 * `devDependencies`) it copies `package.json`, the entries of `files` (what `npm pack` would
 * ship: `dist`, `libs/proto/proto`, the telemetry's `register.mjs`) and the package's own
 * `node_modules` when npm nested a version there. Links to workspace packages the app does not
 * need are left out rather than left dangling.
 *
 * Runs on Node 22's type stripping in the image (`node tools/containers/stage-runtime.ts`), so it
 * uses erasable TypeScript only and imports nothing outside `node:`.
 *
 *   node tools/containers/stage-runtime.ts <app folder under apps/> <output dir> [workspace root]
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One package of the npm workspace. */
export interface WorkspacePackage {
  /** Folder relative to the workspace root, e.g. `libs/platform/core`. */
  readonly dir: string;
  readonly name: string;
  readonly dependencies: readonly string[];
  /** The `files` field; undefined when the package has none. */
  readonly files: readonly string[] | undefined;
}

/**
 * Repository folders an app reads at run time that belong to no package. The gateway's default
 * `ISTIO_CONFIG` is `<root>/istio` (apps/gateway/src/paths.ts), so its image carries the routing
 * files and serves them with no mount.
 */
export const RUNTIME_EXTRAS: Readonly<Record<string, readonly string[]>> = {
  gateway: ['istio'],
};

interface Manifest {
  readonly name?: unknown;
  readonly workspaces?: unknown;
  readonly dependencies?: unknown;
  readonly files?: unknown;
}

function readManifest(path: string): Manifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(`${path}: cannot read package.json: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
    throw new Error(`${where} must be a list of strings`);
  }
  return value;
}

/**
 * The workspace's packages by name, from the root `workspaces` patterns (`dir` or `dir/*`, the
 * forms this repository uses; anything else is refused rather than half-understood).
 */
export function workspacePackages(root: string): Map<string, WorkspacePackage> {
  const patterns =
    stringList(readManifest(join(root, 'package.json')).workspaces, 'package.json "workspaces"') ??
    [];
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*') && !pattern.slice(0, -2).includes('*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    } else if (!pattern.includes('*')) {
      dirs.push(pattern);
    } else {
      throw new Error(`package.json "workspaces": pattern "${pattern}" is not "dir" or "dir/*"`);
    }
  }
  const packages = new Map<string, WorkspacePackage>();
  for (const dir of dirs) {
    const path = join(root, dir, 'package.json');
    if (!existsSync(path)) continue;
    const manifest = readManifest(path);
    if (typeof manifest.name !== 'string') throw new Error(`${dir}/package.json has no "name"`);
    const dependencies = manifest.dependencies ?? {};
    if (typeof dependencies !== 'object' || dependencies === null) {
      throw new Error(`${dir}/package.json "dependencies" must be an object`);
    }
    packages.set(manifest.name, {
      dir,
      name: manifest.name,
      dependencies: Object.keys(dependencies),
      files: stringList(manifest.files, `${dir}/package.json "files"`),
    });
  }
  return packages;
}

/** The app's package and every workspace package it reaches through `dependencies`, app first. */
export function runtimeClosure(
  packages: ReadonlyMap<string, WorkspacePackage>,
  appDir: string,
): WorkspacePackage[] {
  const app = [...packages.values()].find((p) => p.dir === appDir);
  if (app === undefined) {
    throw new Error(`${appDir}/package.json not found among the workspace packages`);
  }
  const seen = new Map<string, WorkspacePackage>([[app.name, app]]);
  const queue = [app];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const dependency of next.dependencies) {
      const found = packages.get(dependency);
      if (found === undefined || seen.has(found.name)) continue;
      seen.set(found.name, found);
      queue.push(found);
    }
  }
  return [...seen.values()];
}

/** Copies a file or folder, keeping symlinks as symlinks (workspace links stay relative). */
function copy(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/**
 * Writes the runtime tree of `app` (a folder name under `apps/`) into `out`, which must not
 * exist yet, and returns the workspace folders it staged.
 *
 * @throws Error naming the package and field when a package has no `files`, lists a path that
 * does not exist (the build did not run) or uses a glob.
 */
export function stageRuntime(root: string, app: string, out: string): string[] {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(app)) {
    throw new Error(`app "${app}" must be a folder name under apps/ (lower-case, digits, dashes)`);
  }
  if (existsSync(out)) throw new Error(`${out} already exists: stage into a fresh folder`);
  const packages = workspacePackages(root);
  const closure = runtimeClosure(packages, `apps/${app}`);
  const nodeModules = join(root, 'node_modules');
  if (!existsSync(nodeModules)) throw new Error(`${nodeModules} not found: run npm ci first`);

  mkdirSync(out, { recursive: true });
  copy(join(root, 'package.json'), join(out, 'package.json'));
  copy(nodeModules, join(out, 'node_modules'));
  for (const pkg of packages.values()) {
    if (closure.includes(pkg)) continue;
    const link = join(out, 'node_modules', pkg.name);
    // lstat, not exists: a link to a package that is not staged would be dangling.
    if (lstatSync(link, { throwIfNoEntry: false }) !== undefined) rmSync(link, { recursive: true });
  }

  for (const pkg of closure) {
    if (pkg.files === undefined) {
      throw new Error(`${pkg.dir}/package.json has no "files": cannot tell what ships at run time`);
    }
    const target = join(out, pkg.dir);
    mkdirSync(target, { recursive: true });
    copy(join(root, pkg.dir, 'package.json'), join(target, 'package.json'));
    for (const entry of pkg.files) {
      if (/[*?[\]{}!]/.test(entry)) {
        throw new Error(`${pkg.dir}/package.json "files" entry "${entry}" is a glob; list paths`);
      }
      const source = join(root, pkg.dir, entry);
      if (!existsSync(source)) {
        throw new Error(
          `${pkg.dir}/package.json "files" lists "${entry}", which does not exist (was ${pkg.name} built?)`,
        );
      }
      copy(source, join(target, entry));
    }
    const nested = join(root, pkg.dir, 'node_modules');
    if (existsSync(nested)) copy(nested, join(target, 'node_modules'));
  }

  for (const extra of RUNTIME_EXTRAS[app] ?? []) {
    const source = join(root, extra);
    if (!existsSync(source)) throw new Error(`${extra}/ (needed by ${app} at run time) not found`);
    copy(source, join(out, extra));
  }
  return closure.map((pkg) => pkg.dir);
}

function main(argv: readonly string[]): number {
  const [app, out, root = '.'] = argv;
  if (app === undefined || out === undefined) {
    process.stderr.write(
      'usage: node tools/containers/stage-runtime.ts <app> <output dir> [workspace root]\n',
    );
    return 2;
  }
  try {
    const staged = stageRuntime(resolve(root), app, resolve(out));
    process.stdout.write(`staged ${app} into ${out}: ${staged.join(', ')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`stage-runtime: ${(error as Error).message}\n`);
    return 1;
  }
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  process.exitCode = main(process.argv.slice(2));
}
