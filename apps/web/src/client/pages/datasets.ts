import { formatBytes, formatCount, formatNumber, formatTime, shortId } from '../../lib/format.js';
import type { PageContext } from '../app.js';
import { BASE } from '../app.js';
import { listAll } from '../api.js';
import { errorNotice, isAbort, showError, successNotice } from '../components/notice.js';
import { ProgressView } from '../components/progress.js';
import { dataTable } from '../components/table.js';
import { append, facts, h, link } from '../dom.js';
import type {
  ColumnStats,
  Dataset,
  DatasetQuality,
  DatasetSample,
  DatasetSummary,
} from '../types.js';

/** The datasets of the tenant, and the upload form. */
export async function datasetsPage(context: PageContext): Promise<void> {
  const { api, main, signal } = context;
  const listSlot = h('div', { class: 'list' }, h('p', { class: 'muted' }, 'Loading datasets…'));
  append(main, [
    h('h1', { tabindex: -1 }, 'Datasets'),
    uploadForm(context),
    h('h2', null, 'All datasets'),
    listSlot,
  ]);
  try {
    const datasets = await listAll<DatasetSummary>(api, '/api/v1/datasets', {
      signal,
      action: 'Listing datasets',
    });
    listSlot.replaceChildren(
      dataTable({
        caption: `${datasets.length} dataset${datasets.length === 1 ? '' : 's'}, oldest first`,
        empty: 'No datasets yet: upload a CSV, JSON or NDJSON file above.',
        columns: [
          {
            label: 'Name',
            rowHeader: true,
            cell: (d) => link(`${BASE}/datasets/${d.id}`, d.name),
          },
          { label: 'Version', numeric: true, cell: (d) => d.version },
          { label: 'Rows', numeric: true, cell: (d) => formatCount(d.rows) },
          { label: 'Columns', numeric: true, cell: (d) => d.columnCount },
          { label: 'Label column', cell: (d) => d.labelColumn ?? '–' },
          { label: 'Format', cell: (d) => d.format },
          { label: 'Size', numeric: true, cell: (d) => formatBytes(d.bytes) },
          { label: 'Uploaded', cell: (d) => formatTime(d.createdAt) },
        ],
        rows: datasets,
      }),
    );
  } catch (error) {
    showError(listSlot, error);
  }
}

/**
 * Upload with a real progress bar: XMLHttpRequest reports the bytes sent; after the last byte
 * the server still parses and profiles the file, which the bar shows as indeterminate work.
 */
function uploadForm(context: PageContext): HTMLElement {
  const { api, signal } = context;
  const file = h('input', {
    id: 'upload-file',
    name: 'file',
    type: 'file',
    accept: '.csv,.json,.ndjson,.jsonl,text/csv,application/json,application/x-ndjson',
    required: true,
    'aria-describedby': 'upload-file-help',
  });
  const name = h('input', {
    id: 'upload-name',
    name: 'name',
    type: 'text',
    required: true,
    maxlength: 200,
  });
  const label = h('input', {
    id: 'upload-label',
    name: 'labelColumn',
    type: 'text',
    maxlength: 200,
    'aria-describedby': 'upload-label-help',
  });
  const submit = h('button', { type: 'submit' }, 'Upload');
  const status = h('div', { class: 'upload-status' });
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (chosen !== undefined && name.value.trim() === '') {
      name.value = chosen.name.replace(/\.(csv|json|ndjson|jsonl)$/i, '');
    }
  });
  const form = h(
    'form',
    { class: 'upload', novalidate: true, 'aria-labelledby': 'upload-heading' },
    h('h2', { id: 'upload-heading' }, 'Upload a dataset'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'upload-file' }, 'File'),
      file,
      h(
        'p',
        { id: 'upload-file-help', class: 'help' },
        'CSV with a header row, a JSON array of objects, or NDJSON. A column named "label" is the label (never a feature).',
      ),
    ),
    h('div', { class: 'field' }, h('label', { for: 'upload-name' }, 'Name'), name),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'upload-label' }, 'Label column (optional)'),
      label,
      h(
        'p',
        { id: 'upload-label-help', class: 'help' },
        'Only when the label column is not called "label".',
      ),
    ),
    submit,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    const problems: string[] = [];
    if (chosen === undefined) problems.push('Choose a file to upload.');
    if (name.value.trim() === '') problems.push('Give the dataset a name.');
    if (chosen === undefined || problems.length > 0) {
      status.replaceChildren(errorNotice(new Error(problems.join(' '))));
      (chosen === undefined ? file : name).focus();
      return;
    }
    submit.disabled = true;
    const progress = new ProgressView(`Uploading ${chosen.name}`);
    status.replaceChildren(progress.element);
    const labelColumn = label.value.trim();
    api
      .upload({
        file: chosen,
        name: name.value.trim(),
        ...(labelColumn === '' ? {} : { labelColumn }),
        signal,
        onProgress: (loaded, total) => {
          if (loaded >= total) {
            progress.indeterminate(
              `Uploaded ${formatBytes(total)}; the server is reading and profiling it…`,
            );
          } else {
            progress.update(loaded, total, `${formatBytes(loaded)} of ${formatBytes(total)}`);
          }
        },
      })
      .then(
        (dataset) => {
          progress.finish(
            `Stored ${dataset.name} v${dataset.version}: ${formatCount(dataset.rows)} rows.`,
          );
          status.append(
            successNotice(
              `Uploaded ${dataset.name} (${formatCount(dataset.rows)} rows, ${dataset.columns.length} columns). `,
              link(`${BASE}/datasets/${dataset.id}`, 'Open the dataset'),
            ),
          );
          context.announce(`Dataset ${dataset.name} uploaded.`);
          context.navigate(`/datasets/${dataset.id}`);
        },
        (error: unknown) => {
          submit.disabled = false;
          if (isAbort(error)) return;
          progress.finish('Upload failed.', false);
          status.append(errorNotice(error));
        },
      );
  });
  return form;
}

/** One dataset: summary, preview, quality report and column statistics. */
export async function datasetPage(context: PageContext): Promise<void> {
  const { api, main, params, signal } = context;
  const id = params['id']!;
  const heading = h('h1', { tabindex: -1 }, 'Dataset');
  append(main, [heading, h('p', { class: 'muted' }, 'Loading…')]);
  const path = `/api/v1/datasets/${encodeURIComponent(id)}`;
  const [{ body: dataset }, { body: quality }] = await Promise.all([
    api.get<Dataset>(path, { signal, action: 'Reading the dataset' }),
    api.get<DatasetQuality>(`${path}/quality`, { signal, action: 'Reading the quality report' }),
  ]);
  heading.textContent = `Dataset ${dataset.name} v${dataset.version}`;
  document.title = `${dataset.name} · Datasets · Nomaly`;
  const previewSlot = h('div', null, h('p', { class: 'muted' }, 'Loading the first rows…'));
  main.replaceChildren(
    heading,
    facts([
      ['Rows', formatCount(dataset.rows)],
      ['Columns', String(dataset.columns.length)],
      ['Label column', dataset.labelColumn ?? 'none'],
      ['Format', `${dataset.format}, ${formatBytes(dataset.bytes)}`],
      ['Uploaded', formatTime(dataset.createdAt)],
      ['Id', h('code', null, dataset.id)],
      ['Checksum (SHA-256)', h('code', { title: dataset.checksum }, shortId(dataset.checksum))],
    ]),
    h(
      'p',
      { class: 'actions' },
      link(`${BASE}/detectors?dataset=${dataset.id}`, 'Create a detector for this dataset'),
    ),
    h('h2', null, 'Preview'),
    previewSlot,
    h('h2', null, 'Quality report'),
    qualitySection(quality),
    h('h2', null, 'Column statistics'),
    columnTable(dataset.columns),
  );
  const previewRows = 20;
  try {
    const { body: sample } = await api.get<DatasetSample>(`${path}/sample`, {
      signal,
      query: { rows: previewRows },
      action: 'Reading the first rows',
    });
    previewSlot.replaceChildren(
      dataTable({
        caption: `The first ${sample.rows.length} of ${formatCount(dataset.rows)} rows`,
        className: 'compact',
        columns: [
          { label: 'Row', numeric: true, rowHeader: true, cell: (_row, i) => i + 1 },
          ...sample.columns.map((column, c) => ({
            label: column,
            numeric: dataset.columns[c]?.type === 'numeric',
            cell: (row: Array<number | string | null>) => cellText(row[c]),
          })),
        ],
        rows: sample.rows,
      }),
    );
  } catch (error) {
    showError(previewSlot, error);
  }
}

function cellText(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return typeof value === 'number' ? formatNumber(value, 6) : value;
}

function qualitySection(report: DatasetQuality): HTMLElement {
  const { quality } = report;
  const issues: string[] = [];
  if (quality.missingValues.total > 0) {
    issues.push(`${formatCount(quality.missingValues.total)} missing values`);
  }
  if (quality.nonFiniteValues.total > 0) {
    issues.push(`${formatCount(quality.nonFiniteValues.total)} non-finite values (NaN, ±Infinity)`);
  }
  if (quality.constantColumns.length > 0) {
    issues.push(`constant columns: ${quality.constantColumns.join(', ')}`);
  }
  for (const group of quality.duplicateColumns)
    issues.push(`identical columns: ${group.join(' = ')}`);
  if (quality.duplicateRows > 0)
    issues.push(`${formatCount(quality.duplicateRows)} duplicate rows`);
  const affected = report.columns.filter(
    (c) => c.missing > 0 || c.nonFinite > 0 || c.note !== undefined,
  );
  return h(
    'section',
    { class: 'quality', 'aria-label': 'Quality report' },
    issues.length === 0
      ? h('p', { class: 'ok' }, `No issues found in ${formatCount(report.rows)} rows.`)
      : h(
          'ul',
          null,
          issues.map((issue) => h('li', null, issue)),
        ),
    affected.length === 0
      ? null
      : dataTable({
          caption: 'Columns with missing or non-finite values, or a note on their type',
          columns: [
            { label: 'Column', rowHeader: true, cell: (c) => c.name },
            { label: 'Type', cell: (c) => c.type },
            { label: 'Missing', numeric: true, cell: (c) => formatCount(c.missing) },
            { label: 'Non-finite', numeric: true, cell: (c) => formatCount(c.nonFinite) },
            { label: 'Note', cell: (c) => c.note ?? '' },
          ],
          rows: affected,
        }),
  );
}

function columnTable(columns: readonly ColumnStats[]): HTMLElement {
  const number = (value: number | string | null): string =>
    typeof value === 'number' ? formatNumber(value) : (value ?? '–');
  return dataTable({
    caption: 'Statistics per column (std is the sample standard deviation)',
    className: 'compact',
    columns: [
      { label: 'Column', rowHeader: true, cell: (c) => c.name },
      { label: 'Type', cell: (c) => (c.role === 'label' ? `${c.type} (label)` : c.type) },
      { label: 'Count', numeric: true, cell: (c) => formatCount(c.count) },
      { label: 'Missing', numeric: true, cell: (c) => formatCount(c.missing) },
      { label: 'Mean', numeric: true, cell: (c) => number(c.mean) },
      { label: 'Std', numeric: true, cell: (c) => number(c.std) },
      { label: 'Min', numeric: true, cell: (c) => number(c.min) },
      { label: '25%', numeric: true, cell: (c) => number(c.p25) },
      { label: 'Median', numeric: true, cell: (c) => number(c.p50) },
      { label: '75%', numeric: true, cell: (c) => number(c.p75) },
      { label: 'Max', numeric: true, cell: (c) => number(c.max) },
      {
        label: 'Distinct / top values',
        cell: (c) =>
          c.top === undefined
            ? c.unique === undefined
              ? '–'
              : formatCount(c.unique)
            : `${c.unique === undefined ? '' : `${formatCount(c.unique)}: `}${c.top
                .slice(0, 3)
                .map((t) => `${t.value} (${formatCount(t.count)})`)
                .join(', ')}`,
      },
    ],
    rows: columns,
  });
}
