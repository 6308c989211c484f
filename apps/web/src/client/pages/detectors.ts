import { formatCount, formatDuration, formatNumber, formatTime } from '../../lib/format.js';
import { fieldsFromSchema } from '../../lib/schema-form.js';
import type { PageContext } from '../app.js';
import { BASE } from '../app.js';
import { listAll, type ApiClient } from '../api.js';
import { watchJob } from '../components/job-watch.js';
import { errorNotice, isAbort, showError, successNotice } from '../components/notice.js';
import { ParameterFields } from '../components/param-form.js';
import { ProgressView } from '../components/progress.js';
import { dataTable } from '../components/table.js';
import { append, facts, h, link, uniqueId } from '../dom.js';
import type {
  Algorithm,
  DatasetSummary,
  Detector,
  TrainAccepted,
  TrainingResult,
} from '../types.js';

/** The tenant's detectors, and the form that creates one from the algorithm catalogue. */
export async function detectorsPage(context: PageContext): Promise<void> {
  const { api, main, signal } = context;
  const listSlot = h('div', null, h('p', { class: 'muted' }, 'Loading detectors…'));
  const createSlot = h('div', null, h('p', { class: 'muted' }, 'Loading the algorithm catalogue…'));
  append(main, [
    h('h1', { tabindex: -1 }, 'Detectors'),
    h('h2', null, 'All detectors'),
    listSlot,
    h('h2', { id: 'create-heading' }, 'Create a detector'),
    createSlot,
  ]);
  const [detectors, algorithms] = await Promise.allSettled([
    listAll<Detector>(api, '/api/v1/detectors', { signal, action: 'Listing detectors' }),
    api.get<Algorithm[]>('/api/v1/detectors/algorithms', {
      signal,
      action: 'Reading the algorithm catalogue',
    }),
  ]);
  if (detectors.status === 'fulfilled') {
    listSlot.replaceChildren(
      dataTable({
        caption: `${detectors.value.length} detector${detectors.value.length === 1 ? '' : 's'}`,
        empty: 'No detectors yet: create one below.',
        columns: [
          {
            label: 'Name',
            rowHeader: true,
            cell: (d) => link(`${BASE}/detectors/${d.id}`, d.name),
          },
          { label: 'Algorithm', cell: (d) => d.algorithm },
          {
            label: 'Model version',
            numeric: true,
            cell: (d) => (d.latestVersion === null ? 'not trained' : `v${d.latestVersion}`),
          },
          {
            label: 'Detection',
            cell: (d) =>
              d.latestVersion === null
                ? '–'
                : link(`${BASE}/detectors/${d.id}/detection`, 'Open detection view'),
          },
          { label: 'Created', cell: (d) => formatTime(d.createdAt) },
        ],
        rows: detectors.value,
      }),
    );
  } else {
    showError(listSlot, detectors.reason);
  }
  if (algorithms.status === 'fulfilled') {
    createSlot.replaceChildren(createForm(context, algorithms.value.body));
  } else {
    showError(createSlot, algorithms.reason);
  }
}

function createForm(context: PageContext, algorithms: readonly Algorithm[]): HTMLElement {
  const { api, signal } = context;
  const name = h('input', {
    id: 'detector-name',
    name: 'name',
    type: 'text',
    required: true,
    maxlength: 200,
  });
  const algorithm = h(
    'select',
    { id: 'detector-algorithm', name: 'algorithm', 'aria-describedby': 'algorithm-summary' },
    algorithms.map((a) =>
      h('option', { value: a.name, selected: a.name === 'iforest' }, `${a.title} (${a.name})`),
    ),
  );
  const summary = h('p', { id: 'algorithm-summary', class: 'help' });
  const features = h('input', {
    id: 'detector-features',
    name: 'features',
    type: 'text',
    'aria-describedby': 'detector-features-help',
  });
  const parameterSlot = h('div');
  const submit = h('button', { type: 'submit' }, 'Create detector');
  const messages = h('div', { class: 'messages' });
  let fields: ParameterFields | undefined;

  const showAlgorithm = (): void => {
    const chosen = algorithms.find((a) => a.name === algorithm.value);
    if (chosen === undefined) return;
    summary.textContent = `${chosen.summary} ${chosen.explainable ? 'Explains each score per feature.' : 'No per-feature explanations.'} Reference: ${chosen.reference}.`;
    try {
      fields = new ParameterFields(
        fieldsFromSchema(chosen.parameters),
        `Parameters of ${chosen.title}`,
      );
      parameterSlot.replaceChildren(fields.element);
    } catch (error) {
      fields = undefined;
      parameterSlot.replaceChildren(errorNotice(error));
    }
  };
  algorithm.addEventListener('change', showAlgorithm);
  showAlgorithm();

  const form = h(
    'form',
    { class: 'create-detector', novalidate: true, 'aria-labelledby': 'create-heading' },
    h('div', { class: 'field' }, h('label', { for: 'detector-name' }, 'Name'), name),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'detector-algorithm' }, 'Algorithm'),
      algorithm,
      summary,
    ),
    parameterSlot,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'detector-features' }, 'Features (optional)'),
      features,
      h(
        'p',
        { id: 'detector-features-help', class: 'help' },
        'Column names separated by commas. Empty: every numeric column but the label.',
      ),
    ),
    submit,
    messages,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (fields === undefined) return;
    const read = fields.read();
    const problems: string[] = read.errors.map((e) => e.message);
    if (name.value.trim() === '') problems.unshift('Give the detector a name.');
    if (problems.length > 0) {
      messages.replaceChildren(
        errorNotice(
          new Error(
            `${problems.length === 1 ? 'One value needs' : `${problems.length} values need`} fixing: ${problems.join(' ')}`,
          ),
        ),
      );
      if (name.value.trim() === '') name.focus();
      else fields.focusFirstError();
      return;
    }
    const featureList = features.value
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    submit.disabled = true;
    messages.replaceChildren(h('p', { role: 'status' }, 'Creating…'));
    api
      .post<Detector>('/api/v1/detectors', {
        signal,
        action: 'Creating the detector',
        json: {
          name: name.value.trim(),
          algorithm: algorithm.value,
          parameters: read.parameters,
          ...(featureList.length === 0 ? {} : { features: featureList }),
        },
      })
      .then(
        ({ body: detector }) => {
          context.announce(`Detector ${detector.name} created.`);
          const dataset = context.query.get('dataset');
          context.navigate(
            `/detectors/${detector.id}${dataset === null ? '' : `?dataset=${encodeURIComponent(dataset)}`}`,
          );
        },
        (error: unknown) => {
          submit.disabled = false;
          if (!isAbort(error)) messages.replaceChildren(errorNotice(error));
        },
      );
  });
  return form;
}

/** One detector: what it is, and training it on a dataset (live progress for 202 jobs). */
export async function detectorPage(context: PageContext): Promise<void> {
  const { api, main, params, signal } = context;
  const id = params['id']!;
  const heading = h('h1', { tabindex: -1 }, 'Detector');
  append(main, [heading, h('p', { class: 'muted' }, 'Loading…')]);
  const [{ body: detector }, datasets] = await Promise.all([
    api.get<Detector>(`/api/v1/detectors/${encodeURIComponent(id)}`, {
      signal,
      action: 'Reading the detector',
    }),
    listAll<DatasetSummary>(api, '/api/v1/datasets', { signal, action: 'Listing datasets' }),
  ]);
  heading.textContent = `Detector ${detector.name}`;
  document.title = `${detector.name} · Detectors · Nomaly`;
  const detection = h(
    'p',
    { class: 'actions' },
    detector.latestVersion === null
      ? 'Not trained yet: train it below, then open the detection view.'
      : link(`${BASE}/detectors/${detector.id}/detection`, 'Open the detection view'),
  );
  main.replaceChildren(
    heading,
    facts([
      ['Algorithm', detector.algorithm],
      [
        'Model',
        detector.modelId === null
          ? 'none yet'
          : link(
              `${BASE}/models/${detector.modelId}`,
              `model, latest v${detector.latestVersion ?? '–'}`,
            ),
      ],
      [
        'Features',
        detector.features === null
          ? 'every numeric column but the label'
          : detector.features.join(', '),
      ],
      ['Parameters', h('code', null, JSON.stringify(detector.parameters))],
      ['Created', formatTime(detector.createdAt)],
      ['Id', h('code', null, detector.id)],
    ]),
    detection,
    h('h2', { id: 'train-heading' }, 'Train'),
    trainForm(context, api, detector, datasets),
  );
}

function trainForm(
  context: PageContext,
  api: ApiClient,
  detector: Detector,
  datasets: readonly DatasetSummary[],
): HTMLElement {
  const { signal } = context;
  if (datasets.length === 0) {
    return h(
      'p',
      null,
      'There is no dataset to train on yet. ',
      link(`${BASE}/datasets`, 'Upload one'),
      '.',
    );
  }
  const preferred = context.query.get('dataset');
  const datasetId = uniqueId('train-dataset');
  const seedId = uniqueId('train-seed');
  const dataset = h(
    'select',
    { id: datasetId, name: 'datasetId' },
    [...datasets]
      .reverse()
      .map((d) =>
        h(
          'option',
          { value: d.id, selected: d.id === preferred },
          `${d.name} v${d.version} (${formatCount(d.rows)} rows)`,
        ),
      ),
  );
  const seed = h('input', {
    id: seedId,
    name: 'seed',
    type: 'number',
    min: 0,
    step: 1,
    inputmode: 'numeric',
  });
  const submit = h('button', { type: 'submit' }, 'Train');
  const status = h('div', { class: 'train-status' });
  const form = h(
    'form',
    { class: 'train', novalidate: true, 'aria-labelledby': 'train-heading' },
    h('div', { class: 'field' }, h('label', { for: datasetId }, 'Dataset'), dataset),
    h('div', { class: 'field' }, h('label', { for: seedId }, 'Seed (optional)'), seed),
    submit,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const seedText = seed.value.trim();
    if (seedText !== '' && !/^\d+$/.test(seedText)) {
      status.replaceChildren(
        errorNotice(new Error(`The seed must be a whole number ≥ 0, got "${seedText}".`)),
      );
      seed.focus();
      return;
    }
    submit.disabled = true;
    const progress = new ProgressView('Training');
    progress.indeterminate('Training on the server…');
    status.replaceChildren(progress.element);
    api
      .post<TrainingResult | TrainAccepted>(
        `/api/v1/detectors/${encodeURIComponent(detector.id)}/train`,
        {
          signal,
          action: 'Training',
          json: {
            datasetId: dataset.value,
            ...(seedText === '' ? {} : { seed: Number(seedText) }),
          },
        },
      )
      .then(async ({ status: code, body }) => {
        if (code === 202 && 'jobId' in body) {
          // Large data: the training runs as a durable job; follow it live.
          const job = await watchJob(api, body.jobId, status, signal, 'Training job');
          if (job.state === 'succeeded' && job.result?.modelVersion !== undefined) {
            status.append(trained(detector, job.result as TrainingResult, dataset.value));
            context.announce(`Training finished: version ${job.result.modelVersion.version}.`);
          } else {
            status.append(
              errorNotice(
                new Error(
                  `The training job ${job.state}${job.error === undefined ? '' : `: ${job.error.detail}`}`,
                ),
              ),
            );
          }
        } else {
          const result = body as TrainingResult;
          progress.finish(`Trained in ${formatDuration(result.durationMs)}.`);
          status.append(trained(detector, result, dataset.value));
          context.announce(`Training finished: version ${result.modelVersion.version}.`);
        }
      })
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        progress.finish('Training failed.', false);
        status.append(errorNotice(error));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function trained(detector: Detector, result: TrainingResult, datasetId: string): HTMLElement {
  return h(
    'div',
    { class: 'trained' },
    successNotice(
      `Model version ${result.modelVersion.version} trained on ${formatCount(result.rows)} rows (${result.features.length} features), threshold ${formatNumber(result.threshold)}`,
      result.metrics === undefined
        ? '. '
        : `, ROC-AUC ${formatNumber(result.metrics.rocAuc, 3)}, average precision ${formatNumber(result.metrics.averagePrecision, 3)}. `,
      link(
        `${BASE}/detectors/${detector.id}/detection?dataset=${encodeURIComponent(datasetId)}`,
        'See the detections',
      ),
      ' · ',
      link(`${BASE}/models/${result.modelVersion.modelId}`, 'Manage the model'),
    ),
  );
}
