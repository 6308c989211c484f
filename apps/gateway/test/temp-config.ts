import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ISTIO_DIR } from '../src/paths.js';

export interface TempConfig {
  readonly dir: string;
  /** Writes (or replaces) a file of the folder. */
  write(name: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

/** A temporary folder of Istio files: empty, or a copy of the repository's istio/. */
export async function tempConfig(
  files: Record<string, string> = {},
  options: { copyRepositoryIstio?: boolean } = {},
): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'nomaly-gateway-'));
  if (options.copyRepositoryIstio === true) await cp(DEFAULT_ISTIO_DIR, dir, { recursive: true });
  const write = (name: string, text: string) => writeFile(join(dir, name), text);
  for (const [name, text] of Object.entries(files)) await write(name, text);
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A Gateway `nomaly/test-gateway` for `*` (or the given hosts). */
export function gatewayYaml(name = 'test-gateway', hosts: readonly string[] = ['*']): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: nomaly
spec:
  selector:
    istio: ingressgateway
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: [${hosts.map((h) => `'${h}'`).join(', ')}]
`;
}

/** A VirtualService `nomaly/<name>` on test-gateway with the given `http:` list (YAML). */
export function virtualServiceYaml(
  http: string,
  options: { name?: string; hosts?: readonly string[]; gateways?: readonly string[] } = {},
): string {
  const indented = http
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${options.name ?? 'routes'}
  namespace: nomaly
spec:
  hosts: [${(options.hosts ?? ['*']).map((h) => `'${h}'`).join(', ')}]
  gateways: [${(options.gateways ?? ['test-gateway']).join(', ')}]
  http:
${indented}
`;
}
