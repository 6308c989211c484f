/**
 * Dataset upload rate and detect latency through the real services (each a built process, as
 * in production, logs at `warn`) on this machine's Postgres and Redis:
 *
 * - upload: a generated CSV of about 100 MB (`--mb`) posted to the dataset-service, beside the
 *   raw csv-parse rate of the same file in this process;
 * - detect: an isolation forest trained on 10,000 rows, then autocannon against the
 *   detector-service (directly, no gateway) with 1 and with 10,000 rows per request, as JSON
 *   and as protobuf (`application/x-protobuf` both ways).
 *
 * Prints Markdown tables with the machine and versions.
 *
 *   npx nx run-many -t build && npx tsx tools/bench/services.ts [--mb 100] [--seconds 10]
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { parse } from 'csv-parse';
import { Random } from '@nomaly/detection-core';
import { startBenchServices } from './bench-services.js';
import { detectorV1 } from '@nomaly/proto';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
  },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const seconds = Number(values.seconds);
const FEATURES = 20;

/** Writes `rows` rows of FEATURES standard normals (and a label) to a CSV file. */
async function writeCsv(path: string, rows: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')},label\n`);
  for (let i = 0; i < rows; i++) {
    const anomaly = i % 100 === 0;
    const line = Array.from({ length: FEATURES }, () =>
      (anomaly ? random.between(-6, 6) : random.normal()).toFixed(6),
    );
    if (!out.write(`${line.join(',')},${anomaly ? 1 : 0}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const dir = mkdtempSync(join(tmpdir(), 'nomaly-bench-'));
const services = await startBenchServices({
  env: { MAX_REQUEST_SIZE_MB: String(Math.ceil(Number(values.mb) * 1.2)) },
});
const { auth, dataset, detector } = services;

try {
  const { token } = await auth.tokenFor('bench');
  const headers = { Authorization: `Bearer ${token}` };

  // ~ (FEATURES × 10 chars) per row.
  const bigPath = join(dir, 'big.csv');
  await writeCsv(bigPath, Math.round(targetBytes / (FEATURES * 10 + 2)), 1);
  const bytes = statSync(bigPath).size;

  let parsedRows = 0;
  const parseStart = process.hrtime.bigint();
  for await (const _record of createReadStream(bigPath).pipe(parse({ cast: true }))) parsedRows++;
  const parseSeconds = Number(process.hrtime.bigint() - parseStart) / 1e9;

  const uploadStart = process.hrtime.bigint();
  const upload = await fetch(`${dataset.baseUrl}/api/v1/datasets?name=big`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'text/csv' },
    body: createReadStream(bigPath),
    duplex: 'half',
  });
  const uploadSeconds = Number(process.hrtime.bigint() - uploadStart) / 1e9;
  if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  const stored = (await upload.json()) as { rows: number };

  const smallPath = join(dir, 'train.csv');
  await writeCsv(smallPath, 10_000, 2);
  const train = (await (
    await fetch(`${dataset.baseUrl}/api/v1/datasets?name=train`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'text/csv' },
      body: createReadStream(smallPath),
      duplex: 'half',
    })
  ).json()) as { id: string };
  const created = (await (
    await fetch(`${detector.baseUrl}/api/v1/detectors`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench', algorithm: 'iforest' }),
    })
  ).json()) as { id: string };
  const trained = await fetch(`${detector.baseUrl}/api/v1/detectors/${created.id}/train`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ datasetId: train.id, seed: 1 }),
  });
  if (trained.status !== 200) throw new Error(`train: ${trained.status} ${await trained.text()}`);

  const random = new Random(3);
  const body = (n: number, form: 'JSON' | 'protobuf'): string | Buffer => {
    const flat = Array.from({ length: n * FEATURES }, () => random.normal());
    if (form === 'protobuf') {
      return Buffer.from(
        detectorV1.DetectRequest.encode({
          featureCount: FEATURES,
          values: flat,
          explain: false,
        }).finish(),
      );
    }
    const rows = Array.from({ length: n }, (_, i) => flat.slice(i * FEATURES, (i + 1) * FEATURES));
    return JSON.stringify({ rows });
  };
  const latency: string[] = [];
  for (const [n, form, connections] of [
    [1, 'JSON', 16],
    [1, 'protobuf', 16],
    [10_000, 'JSON', 2],
    [10_000, 'protobuf', 2],
  ] as const) {
    const options: autocannon.Options = {
      url: `${detector.baseUrl}/api/v1/detectors/${created.id}/detect`,
      method: 'POST',
      headers: {
        ...headers,
        'content-type': form === 'JSON' ? 'application/json' : 'application/x-protobuf',
        ...(form === 'JSON' ? {} : { accept: 'application/x-protobuf' }),
      },
      body: body(n, form),
      connections,
    };
    await autocannon({ ...options, duration: 2 });
    const result = await autocannon({ ...options, duration: seconds });
    latency.push(
      `| ${n.toLocaleString('en')} | ${form} | ${connections} | ${result.requests.average.toFixed(1)} | ${Math.round(result.requests.average * n).toLocaleString('en')} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx + result.errors} |`,
    );
  }

  const mb = bytes / 1024 / 1024;
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ` +
      'every service, PostgreSQL, Redis and the load generator on this machine\n',
  );
  console.log(
    `| CSV | rows × columns | csv-parse in process | upload to dataset-service (parse, profile, store) |`,
  );
  console.log('|---|---|---:|---:|');
  console.log(
    `| ${mb.toFixed(1)} MB | ${stored.rows.toLocaleString('en')} × ${FEATURES + 1} | ${(mb / parseSeconds).toFixed(1)} MB/s (${parsedRows - 1} rows) | ${(mb / uploadSeconds).toFixed(1)} MB/s (${uploadSeconds.toFixed(1)} s) |`,
  );
  console.log(
    `\ndetect, iforest (100 trees) trained on 10,000 × ${FEATURES}, ${seconds} s per row after 2 s warm-up\n`,
  );
  console.log(
    '| rows per request | body | connections | requests/s | rows/s | p50 ms | p99 ms | errors |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const row of latency) console.log(row);
} finally {
  await services.stop();
  rmSync(dir, { recursive: true, force: true });
}
