/**
 * The detection view: a sample of a dataset's rows scored with `explain: true`, shown as the
 * score histogram with the model's threshold, the rows on their first two principal components
 * with the anomalies highlighted, and a sortable table of the top anomalies with the features
 * that drove each score; all scored rows export to CSV. A batch detect job can score every row
 * of the dataset for the histogram, read back page by page into bins.
 */
import {
  anomalyTable,
  sortRows,
  topAnomalies,
  topContributions,
  type ScoredRow,
  type SortKey,
  type SortOrder,
} from '../../lib/anomalies.js';
import { toCsv } from '../../lib/csv.js';
import { formatCount, formatNumber, formatPercent, shortId } from '../../lib/format.js';
import { binScores } from '../../lib/histogram.js';
import { projectRows } from '../../lib/projection.js';
import type { PageContext } from '../app.js';
import { BASE } from '../app.js';
import { ApiError, listAll } from '../api.js';
import { histogramChart, projectionChart, type ChartHandle } from '../components/charts.js';
import { watchJob } from '../components/job-watch.js';
import { errorNotice, isAbort } from '../components/notice.js';
import { ProgressView } from '../components/progress.js';
import { dataTable } from '../components/table.js';
import { append, facts, h, link } from '../dom.js';
import type {
  Algorithm,
  Dataset,
  DatasetSample,
  DatasetSummary,
  DetectResponse,
  Detector,
  Job,
  JobResultRow,
  Page,
} from '../types.js';

/** The sample endpoint's maximum (MAX_SAMPLE_ROWS): also well under a detect batch's limit. */
const SAMPLE_SIZES = [100, 500, 1000] as const;
const TOP_SIZES = [25, 50, 100] as const;
/** A results page of a detect job (the endpoint's maximum). */
const RESULTS_PAGE = 10_000;

interface Scored {
  readonly detector: Detector;
  readonly dataset: Dataset;
  readonly response: DetectResponse;
  readonly rows: ScoredRow[];
  /** Sample rows left out because a feature was missing or not a number. */
  readonly skipped: number;
}

export async function detectionPage(context: PageContext): Promise<void> {
  const { api, main, params, signal, query } = context;
  const id = params['id']!;
  const heading = h('h1', { tabindex: -1 }, 'Detection');
  append(main, [heading, h('p', { class: 'muted' }, 'Loading…')]);
  const [{ body: detector }, datasets, { body: algorithms }] = await Promise.all([
    api.get<Detector>(`/api/v1/detectors/${encodeURIComponent(id)}`, {
      signal,
      action: 'Reading the detector',
    }),
    listAll<DatasetSummary>(api, '/api/v1/datasets', { signal, action: 'Listing datasets' }),
    api.get<Algorithm[]>('/api/v1/detectors/algorithms', {
      signal,
      action: 'Reading the algorithm catalogue',
    }),
  ]);
  heading.textContent = `Detection: ${detector.name}`;
  document.title = `Detection · ${detector.name} · Nomaly`;
  if (detector.latestVersion === null) {
    main.replaceChildren(
      heading,
      h(
        'p',
        null,
        'This detector has no model yet. ',
        link(`${BASE}/detectors/${detector.id}`, 'Train it first'),
        '.',
      ),
    );
    return;
  }
  if (datasets.length === 0) {
    main.replaceChildren(
      heading,
      h('p', null, 'There are no datasets to score. ', link(`${BASE}/datasets`, 'Upload one'), '.'),
    );
    return;
  }
  const explainable = algorithms.find((a) => a.name === detector.algorithm)?.explainable ?? false;
  const chosenDataset = query.get('dataset') ?? datasets[datasets.length - 1]!.id;
  const chosenRows = Number(query.get('rows') ?? 1000);
  const chosenTop = Number(query.get('top') ?? 50);

  const datasetSelect = h(
    'select',
    { id: 'detect-dataset', name: 'dataset' },
    [...datasets]
      .reverse()
      .map((d) =>
        h(
          'option',
          { value: d.id, selected: d.id === chosenDataset },
          `${d.name} v${d.version} (${formatCount(d.rows)} rows)`,
        ),
      ),
  );
  const rowsSelect = h(
    'select',
    { id: 'detect-rows', name: 'rows' },
    SAMPLE_SIZES.map((n) =>
      h('option', { value: n, selected: n === chosenRows }, `first ${formatCount(n)} rows`),
    ),
  );
  const topSelect = h(
    'select',
    { id: 'detect-top', name: 'top' },
    TOP_SIZES.map((n) => h('option', { value: n, selected: n === chosenTop }, String(n))),
  );
  const controls = h(
    'form',
    { class: 'inline-form', 'aria-label': 'What to score' },
    h('div', { class: 'field' }, h('label', { for: 'detect-dataset' }, 'Dataset'), datasetSelect),
    h('div', { class: 'field' }, h('label', { for: 'detect-rows' }, 'Rows to score'), rowsSelect),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'detect-top' }, 'Top anomalies shown'),
      topSelect,
    ),
    h('button', { type: 'submit' }, 'Score'),
  );
  const results = h('div', { class: 'detection-results', 'aria-live': 'off' });
  controls.addEventListener('submit', (event) => {
    event.preventDefault();
    // The choice goes into the address, so the view can be bookmarked and shared.
    context.navigate(
      `/detectors/${detector.id}/detection?dataset=${encodeURIComponent(datasetSelect.value)}&rows=${rowsSelect.value}&top=${topSelect.value}`,
    );
  });
  main.replaceChildren(
    heading,
    h(
      'p',
      null,
      `Algorithm ${detector.algorithm}. `,
      link(`${BASE}/detectors/${detector.id}`, 'Detector details and training'),
    ),
    controls,
    results,
  );

  const progress = new ProgressView('Scoring');
  progress.indeterminate('Reading the rows and scoring them…');
  results.replaceChildren(progress.element);
  const started = performance.now();
  let scored: Scored;
  try {
    scored = await scoreSample(
      context,
      detector,
      datasetSelect.value,
      Number(rowsSelect.value),
      explainable,
    );
  } catch (error) {
    if (isAbort(error)) throw error;
    progress.finish('Scoring failed.', false);
    results.append(errorNotice(error));
    return;
  }
  renderResults(context, results, scored, Number(topSelect.value), explainable);
  const anomalies = scored.rows.filter((r) => r.label === 1).length;
  context.announce(`Scored ${scored.rows.length} rows: ${anomalies} anomalies.`);
  // From the first request to the drawn page: the figure the browser tests report.
  performance.measure('nomaly:detection-view', { start: started });
}

async function scoreSample(
  context: PageContext,
  detector: Detector,
  datasetId: string,
  rows: number,
  explainable: boolean,
): Promise<Scored> {
  const { api, signal } = context;
  const path = `/api/v1/datasets/${encodeURIComponent(datasetId)}`;
  const [{ body: dataset }, { body: sample }] = await Promise.all([
    api.get<Dataset>(path, { signal, action: 'Reading the dataset' }),
    api.get<DatasetSample>(`${path}/sample`, {
      signal,
      query: { rows },
      action: 'Reading the rows',
    }),
  ]);
  const features =
    detector.features ??
    dataset.columns
      .filter((c) => c.role === 'feature' && (c.type === 'numeric' || c.type === 'timestamp'))
      .map((c) => c.name);
  const positions = features.map((feature) => {
    const position = sample.columns.indexOf(feature);
    if (position < 0) {
      throw new Error(
        `The dataset ${dataset.name} has no column "${feature}", which the detector uses.`,
      );
    }
    return position;
  });
  const timestamp = new Set(
    dataset.columns.filter((c) => c.type === 'timestamp').map((c) => c.name),
  );
  const records: Array<Record<string, number>> = [];
  const rowIndexes: number[] = [];
  sample.rows.forEach((row, rowIndex) => {
    const record: Record<string, number> = {};
    for (let f = 0; f < features.length; f++) {
      const feature = features[f]!;
      const raw = row[positions[f]!];
      const value =
        typeof raw === 'number'
          ? raw
          : timestamp.has(feature) && typeof raw === 'string'
            ? Date.parse(raw)
            : Number.NaN;
      // JSON has no NaN: a row with a missing or non-finite feature cannot be sent.
      if (!Number.isFinite(value)) return;
      record[feature] = value;
    }
    records.push(record);
    rowIndexes.push(rowIndex);
  });
  if (records.length === 0) {
    throw new Error(
      `None of the first ${sample.rows.length} rows of ${dataset.name} has every feature present and finite.`,
    );
  }
  const { body: response } = await api.post<DetectResponse>(
    `/api/v1/detectors/${encodeURIComponent(detector.id)}/detect`,
    { signal, action: 'Scoring', json: { records, explain: explainable } },
  );
  const scoredRows: ScoredRow[] = records.map((record, i) => ({
    rowIndex: rowIndexes[i]!,
    score: response.scores[i]!,
    label: response.labels[i]!,
    values: response.features.map((feature) => record[feature] ?? Number.NaN),
    contributions: response.explanations?.[i],
  }));
  return {
    detector,
    dataset,
    response,
    rows: scoredRows,
    skipped: sample.rows.length - records.length,
  };
}

function renderResults(
  context: PageContext,
  results: HTMLElement,
  scored: Scored,
  top: number,
  explainable: boolean,
): void {
  const { response, rows, dataset, detector } = scored;
  const anomalies = rows.filter((r) => r.label === 1).length;
  const charts: ChartHandle[] = [];
  context.signal.addEventListener('abort', () => charts.forEach((c) => c.destroy()), {
    once: true,
  });

  const histogramSlot = h('div', { class: 'chart-slot', id: 'histogram' });
  const histogramCaption = h('p', { class: 'chart-caption' });
  const showHistogram = (
    scores: ArrayLike<number>,
    labels: ArrayLike<number>,
    threshold: number,
    what: string,
  ): void => {
    const histogram = binScores(scores, labels, { threshold });
    charts.splice(0, 1)[0]?.destroy();
    const chart = histogramChart(histogram, threshold, `Histogram of ${what}`);
    charts.unshift(chart);
    histogramSlot.replaceChildren(chart.element);
    const flagged = histogram.anomalous.reduce((sum, n) => sum + n, 0);
    histogramCaption.textContent = `${what.charAt(0).toUpperCase()}${what.slice(1)}: ${formatCount(histogram.total)} scores, ${formatCount(flagged)} (${formatPercent(histogram.total === 0 ? 0 : flagged / histogram.total)}) at or above the threshold ${formatNumber(threshold)} (dashed line).${histogram.nonFinite > 0 ? ` ${histogram.nonFinite} non-finite scores left out.` : ''}`;
  };

  const projectionSlot = h('div', { class: 'chart-slot', id: 'projection' });
  const tableSlot = h('div', { id: 'top-anomalies' });
  const batchSlot = h('div', { class: 'batch' });
  const exportButton = h(
    'button',
    { type: 'button', class: 'secondary' },
    'Export scored rows (CSV)',
  );
  exportButton.addEventListener('click', () => {
    const ordered = sortRows(rows, { key: 'score', descending: true });
    const { header, cells } = anomalyTable(ordered, response.features);
    downloadCsv(
      `${safeName(detector.name)}-${safeName(dataset.name)}-scores.csv`,
      toCsv(header, cells),
    );
    context.announce(`Exported ${rows.length} rows as CSV.`);
  });

  results.replaceChildren(
    facts([
      [
        'Model version',
        link(
          `${BASE}/models/${response.modelVersion.modelId}`,
          `v${response.modelVersion.version}`,
        ),
      ],
      ['Threshold', formatNumber(response.threshold)],
      [
        'Rows scored',
        `${formatCount(rows.length)} (the first rows of ${dataset.name} v${dataset.version}, ${formatCount(dataset.rows)} rows in all)`,
      ],
      ['Anomalies', `${formatCount(anomalies)} (${formatPercent(anomalies / rows.length)})`],
      ...(scored.skipped > 0
        ? [
            [
              'Left out',
              `${formatCount(scored.skipped)} rows with a missing or non-finite feature`,
            ] as const,
          ]
        : []),
    ]),
    h(
      'section',
      { 'aria-labelledby': 'histogram-heading' },
      h('h2', { id: 'histogram-heading' }, 'Score distribution'),
      histogramSlot,
      histogramCaption,
      batchSlot,
    ),
    h(
      'section',
      { 'aria-labelledby': 'projection-heading' },
      h('h2', { id: 'projection-heading' }, 'Rows on their first two principal components'),
      projectionSlot,
    ),
    h(
      'section',
      { 'aria-labelledby': 'top-heading' },
      h('h2', { id: 'top-heading' }, 'Top anomalies'),
      explainable
        ? null
        : h(
            'p',
            { class: 'muted' },
            `${detector.algorithm} does not explain its scores per feature.`,
          ),
      tableSlot,
      h('p', { class: 'actions' }, exportButton),
    ),
  );

  showHistogram(response.scores, response.labels, response.threshold, 'the scored rows');
  batchSlot.replaceChildren(batchControls(context, scored, showHistogram));

  const projection = projectRows(rows.map((r) => r.values));
  const projectionHandle = projectionChart(
    projection,
    rows.map((r) => r.label),
    'Scored rows on their first two principal components',
  );
  charts.push(projectionHandle);
  projectionSlot.replaceChildren(
    projectionHandle.element,
    h(
      'p',
      { class: 'chart-caption' },
      `${formatCount(rows.length)} rows; the two components explain ${formatPercent(projection.explained[0])} and ${formatPercent(projection.explained[1])} of the variance of the standardized features. Anomalies are the larger orange points.`,
    ),
  );

  let order: SortOrder = { key: 'score', descending: true };
  const ranked = topAnomalies(rows, top);
  const drawTable = (): void => {
    const sorted = sortRows(ranked, order);
    tableSlot.replaceChildren(
      dataTable({
        caption: `The ${ranked.length} highest-scoring of ${formatCount(rows.length)} scored rows, sorted by ${order.key === 'rowIndex' ? 'row' : order.key.startsWith('feature:') ? response.features[Number(order.key.slice(8))] : order.key} ${order.descending ? 'descending' : 'ascending'}`,
        className: 'anomalies compact',
        sort: {
          key: order.key,
          descending: order.descending,
          onSort: (key) => {
            const sortKey = key as SortKey;
            order = {
              key: sortKey,
              descending: order.key === sortKey ? !order.descending : sortKey !== 'rowIndex',
            };
            drawTable();
            tableSlot
              .querySelector<HTMLButtonElement>(`button[data-sort-key="${sortKey}"]`)
              ?.focus();
            context.announce(
              `Sorted by ${sortKey}, ${order.descending ? 'descending' : 'ascending'}.`,
            );
          },
        },
        columns: [
          {
            label: 'Row',
            numeric: true,
            rowHeader: true,
            sortKey: 'rowIndex',
            cell: (r) => formatCount(r.rowIndex + 1),
          },
          {
            label: 'Score',
            numeric: true,
            sortKey: 'score',
            cell: (r) => h('span', { 'data-score': r.score }, formatNumber(r.score, 5)),
          },
          {
            label: 'Label',
            sortKey: 'label',
            cell: (r) =>
              r.label === 1 ? h('span', { class: 'badge anomaly' }, 'anomaly') : 'normal',
          },
          {
            label: 'Top contributing features',
            cell: (r) => {
              const top3 = topContributions(r, response.features, 3);
              return top3.length === 0
                ? '–'
                : h(
                    'ul',
                    { class: 'contributions' },
                    top3.map((c) =>
                      h(
                        'li',
                        null,
                        h('strong', null, c.feature),
                        ` ${formatNumber(c.contribution, 3)} (value ${formatNumber(c.value, 4)})`,
                      ),
                    ),
                  );
            },
          },
          ...response.features.slice(0, 6).map((feature, f) => ({
            label: feature,
            numeric: true,
            sortKey: `feature:${f}`,
            cell: (r: ScoredRow) => formatNumber(r.values[f], 4),
          })),
        ],
        rows: sorted,
      }),
    );
  };
  drawTable();
}

/**
 * "Score every row": a batch detect job over the whole dataset, then its results read back in
 * pages of 10,000 into typed arrays and binned — the histogram of all rows, never all rows drawn.
 */
function batchControls(
  context: PageContext,
  scored: Scored,
  showHistogram: (
    scores: ArrayLike<number>,
    labels: ArrayLike<number>,
    threshold: number,
    what: string,
  ) => void,
): HTMLElement {
  const { api, signal } = context;
  const { detector, dataset } = scored;
  const slot = h('div');
  const button = h(
    'button',
    { type: 'button', class: 'secondary' },
    `Score all ${formatCount(dataset.rows)} rows (batch job)`,
  );
  button.addEventListener('click', () => {
    button.disabled = true;
    api
      .post<Job>('/api/v1/jobs', {
        signal,
        action: 'Starting the batch detect job',
        json: { type: 'detect', detectorId: detector.id, datasetId: dataset.id },
      })
      .then(async ({ body: submitted }) => {
        const job = await watchJob(api, submitted.id, slot, signal, 'Batch detection');
        if (job.state !== 'succeeded') {
          slot.append(
            errorNotice(
              new Error(
                `The batch job ${job.state}${job.error === undefined ? '' : `: ${job.error.detail}`}`,
              ),
            ),
          );
          return;
        }
        const total = job.result?.rows ?? dataset.rows;
        const scores = new Float64Array(total);
        const labels = new Uint8Array(total);
        const reading = new ProgressView('Reading the scores');
        slot.append(reading.element);
        let cursor: string | undefined;
        let read = 0;
        do {
          const { body: page } = await api.get<Page<JobResultRow>>(
            `/api/v1/jobs/${encodeURIComponent(job.id)}/results`,
            {
              signal,
              query: { limit: RESULTS_PAGE, cursor },
              action: 'Reading the job results',
            },
          );
          for (const item of page.items) {
            if (item.rowIndex < total) {
              scores[item.rowIndex] = item.score;
              labels[item.rowIndex] = item.label;
            }
          }
          read += page.items.length;
          reading.update(read, total, `${formatCount(read)} of ${formatCount(total)} scores`);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        reading.finish(`Read ${formatCount(read)} scores.`);
        showHistogram(
          scores.subarray(0, read),
          labels.subarray(0, read),
          job.result?.threshold ?? scored.response.threshold,
          `all rows (job ${shortId(job.id)})`,
        );
        context.announce('The histogram now shows every row of the dataset.');
      })
      .catch((error: unknown) => {
        button.disabled = false;
        if (isAbort(error)) return;
        const unavailable =
          error instanceof ApiError && (error.status === 404 || error.status === 503);
        append(slot, [
          errorNotice(error),
          unavailable
            ? h(
                'p',
                { class: 'muted' },
                'Batch jobs need the worker and Redis; the sample above is still valid.',
              )
            : null,
        ]);
      });
  });
  slot.append(button);
  return slot;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'nomaly';
}

function downloadCsv(filename: string, text: string): void {
  // A byte-order mark makes spreadsheet programs read the file as UTF-8.
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const anchor = h('a', { href: url, download: filename, class: 'visually-hidden' });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
