import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { usageError } from '../cli-error.js';
import { connect, expectPositionals, idPath, runSubcommand } from '../client/args.js';
import { requestTimeoutMs } from '../client/config.js';
import { bar, bytes, count, num, printJson, printTable, say, when } from '../client/output.js';
import { Progress } from '../progress.js';
import { listCommand } from '../client/list-command.js';

export const DATASETS_HELP = `Usage: nomaly datasets upload FILE [--name N] [--label-column C] [--json]
       nomaly datasets list [--limit N] [--cursor C] [--json]
       nomaly datasets show ID [--json]

upload   streams FILE to the dataset-service (a bar on a terminal). CSV by default; .json and
         .ndjson/.jsonl files are sent as JSON and NDJSON. --name defaults to the file name
         without its extension; the same name again makes the next version. --label-column
         names the label column when it is not called "label" (never used as a feature).
list     the datasets, oldest first: --limit per page (1-200, default 50), --cursor to go on
         from where the last page ended (printed under the table, "nextCursor" in --json).
show     a dataset's columns with their types and statistics, and its quality report.
`;

/** `GET /api/v1/datasets/{id}` (the list items carry the summary fields only). */
interface Dataset {
  id: string;
  name: string;
  version: number;
  rows: number;
  columnCount: number;
  labelColumn?: string;
  checksum: string;
  format: string;
  bytes: number;
  createdAt: string;
  columns?: Array<{
    name: string;
    type: string;
    role: string;
    count: number;
    missing: number;
    mean: number | null;
    std: number | null;
    min: number | string | null;
    max: number | string | null;
  }>;
  quality?: Quality;
}

/** The dataset-service's quality report. */
interface Quality {
  missingValues?: { total: number };
  nonFiniteValues?: { total: number };
  constantColumns?: string[];
  duplicateColumns?: string[][];
  duplicateRows?: number;
}

/** Uploads of large files stream for a while: ten minutes unless NOMALY_TIMEOUT says. */
const UPLOAD_TIMEOUT_S = 600;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
};

export async function datasets(argv: string[]): Promise<void> {
  await runSubcommand('datasets', argv, { upload, list, show }, DATASETS_HELP);
}

async function upload(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'label-column': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [file] = expectPositionals('datasets upload', positionals, ['FILE']) as [string];
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) throw usageError(`cannot read ${file}: no such file`);
  if (!stat.isFile()) throw usageError(`cannot read ${file}: not a file`);
  const extension = extname(file).toLowerCase();
  const name = values.name ?? basename(file, extname(file));
  if (name === '') throw usageError('--name must not be empty');
  const client = connect();

  const progress = new Progress();
  let sent = 0;
  let shown = -1;
  const size = stat.size;
  const dataset = await client
    .call<Dataset>('/api/v1/datasets', {
      query: { name, labelColumn: values['label-column'] },
      timeoutMs: requestTimeoutMs(UPLOAD_TIMEOUT_S),
      stream: {
        contentType: CONTENT_TYPES[extension] ?? 'text/csv',
        length: size,
        open: () => {
          sent = 0;
          shown = -1;
          const source = createReadStream(file);
          source.on('data', (chunk) => {
            sent += chunk.length;
            // One redraw per percent: a large file is read in thousands of chunks.
            const percent = Math.floor((100 * sent) / Math.max(1, size));
            if (percent === shown) return;
            shown = percent;
            progress.update(
              sent < size
                ? `uploading ${basename(file)} ${bar(sent, size)} ${bytes(sent)} / ${bytes(size)}`
                : `uploaded ${bytes(size)}; the dataset-service is reading it`,
            );
          });
          return Readable.toWeb(source) as ReadableStream<Uint8Array>;
        },
      },
    })
    .finally(() => progress.done());
  const body = dataset.body;
  if (values.json) return printJson(body);
  say(
    `Uploaded ${body.name} version ${body.version}: ${count(body.rows)} rows × ${body.columnCount} columns${body.labelColumn === undefined ? '' : `, label column '${body.labelColumn}'`}`,
  );
  say(`id ${body.id}`);
}

async function list(argv: string[]): Promise<void> {
  await listCommand<Dataset>(argv, {
    noun: 'datasets',
    path: '/api/v1/datasets',
    columns: ['ID', 'NAME', 'VERSION', 'ROWS', 'COLUMNS', 'LABEL', 'CREATED'],
    row: (d) => [d.id, d.name, d.version, d.rows, d.columnCount, d.labelColumn, when(d.createdAt)],
  });
}

async function show(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [id] = expectPositionals('datasets show', positionals, ['ID']) as [string];
  const d = (await connect().call<Dataset>(`/api/v1/datasets/${idPath(id)}`)).body;
  if (values.json) return printJson(d);
  say(`dataset   ${d.id}`);
  say(`name      ${d.name} (version ${d.version})`);
  say(`rows      ${count(d.rows)}; ${d.columnCount} columns; ${d.format}, ${bytes(d.bytes)}`);
  say(`label     ${d.labelColumn ?? '-'}`);
  say(`checksum  ${d.checksum}`);
  say(`created   ${when(d.createdAt)}`);
  say();
  printTable(
    ['COLUMN', 'TYPE', 'ROLE', 'COUNT', 'MISSING', 'MEAN', 'STD', 'MIN', 'MAX'],
    (d.columns ?? []).map((c) => [
      c.name,
      c.type,
      c.role,
      c.count,
      c.missing,
      num(c.mean),
      num(c.std),
      num(c.min),
      num(c.max),
    ]),
  );
  if (d.quality !== undefined) {
    say();
    for (const line of describeQuality(d.quality)) say(line);
  }
}

/** The quality report in sentences; fields the API does not send are left out. */
function describeQuality(quality: Quality): string[] {
  const lines = [
    `missing values     ${count(quality.missingValues?.total)}`,
    `non-finite values  ${count(quality.nonFiniteValues?.total)}`,
    `duplicate rows     ${count(quality.duplicateRows)}`,
  ];
  const constant = quality.constantColumns ?? [];
  if (constant.length > 0) lines.push(`constant columns   ${constant.join(', ')}`);
  for (const group of quality.duplicateColumns ?? []) {
    lines.push(`duplicate columns  ${group.join(' = ')}`);
  }
  return lines;
}
