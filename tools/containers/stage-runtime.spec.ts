import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeClosure, stageRuntime, workspacePackages } from './stage-runtime.js';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function manifest(path: string, body: Record<string, unknown>): void {
  write(`${path}/package.json`, JSON.stringify(body));
}

/** A workspace shaped like ours after `npm ci --omit=dev --workspace apps/api` and a build. */
function workspace(): void {
  manifest('.', {
    name: 'root',
    private: true,
    workspaces: ['apps/*', 'libs/*', 'libs/platform/*'],
  });
  manifest('apps/api', {
    name: '@n/api',
    files: ['dist'],
    dependencies: { '@n/core': '0.1.0', left: '1.0.0' },
    devDependencies: { '@n/testing': '0.1.0' },
  });
  write('apps/api/dist/main.js', 'export {};\n');
  write('apps/api/src/main.ts', 'export {};\n');
  write('apps/api/node_modules/left/index.js', 'module.exports = 1;\n');
  manifest('libs/platform/core', {
    name: '@n/core',
    files: ['dist', 'proto'],
    dependencies: { '@n/proto': '0.1.0' },
  });
  write('libs/platform/core/dist/index.js', 'export {};\n');
  write('libs/platform/core/proto/a.proto', 'syntax = "proto3";\n');
  write('libs/platform/core/src/index.ts', 'export {};\n');
  manifest('libs/proto', { name: '@n/proto', files: ['dist'] });
  write('libs/proto/dist/index.js', 'export {};\n');
  manifest('libs/testing', { name: '@n/testing', files: ['dist'] });
  manifest('apps/other', { name: '@n/other', files: ['dist'] });
  mkdirSync(join(root, 'node_modules/@n'), { recursive: true });
  for (const [name, dir] of [
    ['api', 'apps/api'],
    ['core', 'libs/platform/core'],
    ['proto', 'libs/proto'],
    ['testing', 'libs/testing'],
    ['other', 'apps/other'],
  ] as const) {
    symlinkSync(`../../${dir}`, join(root, 'node_modules/@n', name));
  }
  write('node_modules/zod/index.js', 'module.exports = {};\n');
  write('istio/gateway.yaml', 'kind: Gateway\n');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nomaly-stage-'));
  workspace();
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe(runtimeClosure.name, () => {
  it('follows production dependencies between workspace packages, never devDependencies', () => {
    const closure = runtimeClosure(workspacePackages(root), 'apps/api');
    expect(closure.map((p) => p.dir)).toEqual(['apps/api', 'libs/platform/core', 'libs/proto']);
  });
});

describe(stageRuntime.name, () => {
  it('copies manifests and shipped files of the closure, keeps links, drops the rest', () => {
    const out = join(root, 'out');
    expect(stageRuntime(root, 'api', out)).toEqual([
      'apps/api',
      'libs/platform/core',
      'libs/proto',
    ]);
    expect(readFileSync(join(out, 'apps/api/dist/main.js'), 'utf8')).toBe('export {};\n');
    expect(existsSync(join(out, 'libs/platform/core/proto/a.proto'))).toBe(true);
    expect(existsSync(join(out, 'apps/api/node_modules/left/index.js'))).toBe(true);
    expect(existsSync(join(out, 'apps/api/src'))).toBe(false);
    expect(existsSync(join(out, 'libs/platform/core/src'))).toBe(false);
    expect(existsSync(join(out, 'node_modules/zod/index.js'))).toBe(true);
    expect(readlinkSync(join(out, 'node_modules/@n/core'))).toBe('../../libs/platform/core');
    expect(
      lstatSync(join(out, 'node_modules/@n/testing'), { throwIfNoEntry: false }),
    ).toBeUndefined();
    expect(
      lstatSync(join(out, 'node_modules/@n/other'), { throwIfNoEntry: false }),
    ).toBeUndefined();
    expect(existsSync(join(out, 'package.json'))).toBe(true);
    expect(existsSync(join(out, 'istio'))).toBe(false);
  });

  it("adds the gateway's routing files", () => {
    manifest('apps/gateway', { name: '@n/gateway', files: ['dist'] });
    write('apps/gateway/dist/main.js', 'export {};\n');
    stageRuntime(root, 'gateway', join(root, 'out'));
    expect(readFileSync(join(root, 'out/istio/gateway.yaml'), 'utf8')).toBe('kind: Gateway\n');
  });

  it('names the package when a shipped path was not built or files is missing', () => {
    rmSync(join(root, 'libs/proto/dist'), { recursive: true });
    expect(() => stageRuntime(root, 'api', join(root, 'out'))).toThrow(
      'libs/proto/package.json "files" lists "dist", which does not exist (was @n/proto built?)',
    );
    manifest('libs/proto', { name: '@n/proto' });
    expect(() => stageRuntime(root, 'api', join(root, 'out2'))).toThrow(
      'libs/proto/package.json has no "files": cannot tell what ships at run time',
    );
  });

  it('refuses an unknown app and an existing output folder', () => {
    expect(() => stageRuntime(root, 'nope', join(root, 'out'))).toThrow(
      'apps/nope/package.json not found among the workspace packages',
    );
    expect(() => stageRuntime(root, '../api', join(root, 'out'))).toThrow(/must be a folder name/);
    mkdirSync(join(root, 'out'));
    expect(() => stageRuntime(root, 'api', join(root, 'out'))).toThrow(/already exists/);
  });
});
