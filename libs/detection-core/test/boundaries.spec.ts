import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The architecture's boundaries are lint errors, not conventions: these lint the source a
 * developer might write and expect the workspace's ESLint config to refuse it.
 */
describe('detection-core boundaries', () => {
  let eslint: ESLint;

  beforeAll(async () => {
    // The Nx boundary rule reads the cached project graph; make sure one exists.
    await createProjectGraphAsync({ exitOnError: false });
    eslint = new ESLint({ cwd: ROOT });
  });

  async function lint(relativePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, relativePath) });
    return result!.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
  }

  it.each([
    [
      '@nestjs/common',
      "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n",
    ],
    ['typeorm', "import { DataSource } from 'typeorm';\nexport const x = DataSource;\n"],
    ['ioredis', "import Redis from 'ioredis';\nexport const x = Redis;\n"],
    ['@grpc/grpc-js', "import * as grpc from '@grpc/grpc-js';\nexport const x = grpc;\n"],
    ['opossum', "import CircuitBreaker from 'opossum';\nexport const x = CircuitBreaker;\n"],
    ['prom-client', "import { Counter } from 'prom-client';\nexport const x = Counter;\n"],
    [
      '@opentelemetry/sdk-node',
      "import { NodeSDK } from '@opentelemetry/sdk-node';\nexport const x = NodeSDK;\n",
    ],
    ['node:fs', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ])('refuses an import of %s in the core', async (pkg, code) => {
    const messages = await lint('libs/detection-core/src/detectors/boundary-probe.ts', code);
    expect(
      messages.some(
        (m) => m.includes(pkg) && /no-restricted-imports|enforce-module-boundaries/.test(m),
      ),
    ).toBe(true);
  });

  it('refuses an import of an app from the core (Nx tag constraints)', async () => {
    const messages = await lint(
      'libs/detection-core/src/detectors/boundary-probe.ts',
      "import { ExitCode } from '@nomaly/cli';\nexport const x = ExitCode;\n",
    );
    expect(messages.some((m) => m.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });

  it('lets the core import its own modules, and tests use Node built-ins', async () => {
    expect(
      await lint(
        'libs/detection-core/src/detectors/boundary-probe.ts',
        "import { Matrix } from '../core/matrix.js';\nexport const x = Matrix;\n",
      ),
    ).toEqual([]);
    expect(
      await lint(
        'libs/detection-core/src/detectors/boundary-probe.spec.ts',
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      ),
    ).toEqual([]);
  });

  it('turns type-aware mistakes into errors (floating promises, numeric sort)', async () => {
    const messages = await lint(
      'libs/detection-core/src/detectors/boundary-probe.ts',
      'export function f(a: number[]): number[] {\n  void Promise.resolve(1);\n  Promise.resolve(2);\n  return a.sort();\n}\n',
    );
    expect(messages.some((m) => m.startsWith('@typescript-eslint/no-floating-promises'))).toBe(
      true,
    );
    expect(
      messages.some((m) => m.startsWith('@typescript-eslint/require-array-sort-compare')),
    ).toBe(true);
  });
});
