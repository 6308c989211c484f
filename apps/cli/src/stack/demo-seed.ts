import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoData } from '../commands/demo.js';

/** What `nomaly up` writes to `.nomaly/local.json` for scripts (and reuses on the next start). */
export interface LocalStack {
  gatewayUrl: string;
  apiKey: string;
  tenantId: string;
  datasetId: string;
  detectorId: string;
}

export interface DemoData {
  /** Dataset name, e.g. `cardio`. */
  name: string;
  /** Where it came from, for the banner. */
  source: string;
  csv: string;
  /** Two feature rows for the printed `curl`: an ordinary one and a labelled anomaly. */
  sampleRows: number[][];
}

const SHARED_DATASET = 'cardio.csv';

/**
 * The demo dataset: `cardio.csv` of the shared ADBench folder (`NOMALY_SHARED_DIR`, or `../shared`
 * beside the repository) when present, otherwise the seeded sensor data of `nomaly demo`.
 */
export function demoDataset(repoRoot: string): DemoData {
  const candidates = [process.env.NOMALY_SHARED_DIR, join(repoRoot, '..', 'shared')];
  for (const dir of candidates) {
    if (dir === undefined || dir === '') continue;
    const path = join(dir, 'datasets', SHARED_DATASET);
    if (existsSync(path)) {
      const csv = readFileSync(path, 'utf8');
      return { name: 'cardio', source: path, csv, sampleRows: sampleRows(csv) };
    }
  }
  const { X, y } = demoData(2_000, 42);
  const lines = [[...X.featureNames, 'label'].join(',')];
  for (let i = 0; i < X.rows; i++) {
    lines.push([...X.row(i)].map((v) => Number(v.toFixed(4))).join(',') + `,${y[i]}`);
  }
  const csv = `${lines.join('\n')}\n`;
  return {
    name: 'sensors',
    source: 'generated (seeded sensor readings with planted anomalies)',
    csv,
    sampleRows: sampleRows(csv),
  };
}

/** The first ordinary row and the first anomaly (`label` 1), without the label. */
function sampleRows(csv: string): number[][] {
  const [header, ...rows] = csv.trimEnd().split('\n');
  const columns = (header ?? '').split(',');
  const label = columns.indexOf('label');
  const parsed = rows.map((line) => line.split(',').map(Number));
  const features = (row: number[]) => row.filter((_, j) => j !== label);
  const normal = parsed.find((row) => label < 0 || row[label] === 0);
  const anomaly = parsed.find((row) => label >= 0 && row[label] === 1);
  return [normal, anomaly].filter((row) => row !== undefined).map(features);
}

/** A JSON client of the gateway, failing with the problem's detail on an unexpected status. */
export function gatewayClient(gatewayUrl: string) {
  return async <T>(
    path: string,
    init: { token?: string; json?: unknown; body?: string; contentType?: string; expect: number[] },
  ): Promise<{ status: number; body: T }> => {
    const headers: Record<string, string> = {};
    if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.contentType !== undefined) {
      headers['Content-Type'] = init.contentType;
    }
    const response = await fetch(`${gatewayUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body: body ?? null,
    });
    const text = await response.text();
    if (!init.expect.includes(response.status)) {
      throw new Error(`${path} answered ${response.status}: ${text.slice(0, 500)}`);
    }
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
}

/** The ready-to-paste commands the banner prints: a token, then scores for two rows. */
export function curlCommands(stack: LocalStack, rows: number[][]): string[] {
  return [
    `TOKEN=$(curl -s -X POST ${stack.gatewayUrl}/api/v1/auth/token -H 'Content-Type: application/json' -d '{"apiKey":"${stack.apiKey}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`,
    `curl -s ${stack.gatewayUrl}/api/v1/detectors/${stack.detectorId}/detect -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '${JSON.stringify({ rows })}'`,
  ];
}
