import { formatCount, formatTime, shortId } from '../../lib/format.js';
import type { PageContext } from '../app.js';
import { BASE } from '../app.js';
import { ApiError } from '../api.js';
import { isTerminal, jobProgressText, watchJob } from '../components/job-watch.js';
import { errorNotice, showError } from '../components/notice.js';
import { dataTable } from '../components/table.js';
import { append, facts, h, link } from '../dom.js';
import type { Job, Page } from '../types.js';

/** How often the list refreshes while a job in it is still open. */
const REFRESH_MS = 2000;

/**
 * The tenant's jobs with their progress, newest first, refreshed while any is open. Servers
 * without the job listing (an older detector-service) still let a job be opened by its id.
 */
export async function jobsPage(context: PageContext): Promise<void> {
  const { api, main, signal } = context;
  const listSlot = h('div', null, h('p', { class: 'muted' }, 'Loading jobs…'));
  append(main, [
    h('h1', { tabindex: -1 }, 'Jobs'),
    openByIdForm(context),
    h('h2', null, 'Recent jobs'),
    listSlot,
  ]);
  const refresh = async (): Promise<void> => {
    let page: Page<Job>;
    try {
      ({ body: page } = await api.get<Page<Job>>('/api/v1/jobs', {
        signal,
        query: { limit: 100 },
        action: 'Listing jobs',
      }));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        listSlot.replaceChildren(
          h('p', { class: 'muted' }, 'This server does not list jobs; open a job by its id above.'),
        );
        return;
      }
      showError(listSlot, error);
      return;
    }
    // The API lists oldest first; people look for the newest.
    const jobs = [...page.items].reverse();
    listSlot.replaceChildren(
      dataTable({
        caption: `${jobs.length} job${jobs.length === 1 ? '' : 's'}, newest first`,
        empty: 'No jobs yet: large trainings and batch detections run as jobs.',
        columns: [
          {
            label: 'Job',
            rowHeader: true,
            cell: (j) => link(`${BASE}/jobs/${j.id}`, shortId(j.id)),
          },
          { label: 'Type', cell: (j) => j.type },
          { label: 'State', cell: (j) => h('span', { class: `badge state-${j.state}` }, j.state) },
          {
            label: 'Progress',
            cell: (j) =>
              h(
                'div',
                { class: 'mini-progress' },
                h('progress', {
                  max: Math.max(1, j.progress.totalRows),
                  value: j.progress.rows,
                  'aria-label': `Job ${shortId(j.id)} progress`,
                  'aria-valuetext': jobProgressText(j),
                }),
                h(
                  'span',
                  null,
                  j.progress.totalRows > 0
                    ? `${formatCount(j.progress.rows)} / ${formatCount(j.progress.totalRows)}`
                    : '',
                ),
              ),
          },
          {
            label: 'Detector',
            cell: (j) => link(`${BASE}/detectors/${j.detectorId}`, shortId(j.detectorId)),
          },
          { label: 'Created', cell: (j) => formatTime(j.createdAt) },
        ],
        rows: jobs,
      }),
    );
    if (jobs.some((j) => !isTerminal(j.state)) && !signal.aborted) {
      setTimeout(() => void refresh(), REFRESH_MS);
    }
  };
  await refresh();
}

function openByIdForm(context: PageContext): HTMLElement {
  const input = h('input', {
    id: 'job-id',
    name: 'jobId',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Open a job by id' },
    h('div', { class: 'field' }, h('label', { for: 'job-id' }, 'Job id'), input),
    h('button', { type: 'submit', class: 'secondary' }, 'Open'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id !== '') context.navigate(`/jobs/${encodeURIComponent(id)}`);
  });
  return form;
}

/** One job: live progress until it ends, then its result or error. */
export async function jobPage(context: PageContext): Promise<void> {
  const { api, main, params, signal } = context;
  const id = params['id']!;
  const watchSlot = h('div');
  const details = h('div');
  append(main, [h('h1', { tabindex: -1 }, `Job ${shortId(id)}`), watchSlot, details]);
  const { body: first } = await api.get<Job>(`/api/v1/jobs/${encodeURIComponent(id)}`, {
    signal,
    action: 'Reading the job',
  });
  const describe = (job: Job): void => {
    details.replaceChildren(
      facts([
        ['Type', job.type],
        ['State', job.state],
        ['Detector', link(`${BASE}/detectors/${job.detectorId}`, shortId(job.detectorId))],
        ['Dataset', link(`${BASE}/datasets/${job.datasetId}`, shortId(job.datasetId))],
        ['Attempts', String(job.attempts)],
        ['Created', formatTime(job.createdAt)],
        ['Finished', formatTime(job.finishedAt)],
        ...(job.result === undefined
          ? []
          : [['Result', h('code', null, JSON.stringify(job.result))] as const]),
        ...(job.error === undefined
          ? []
          : [['Error', `${job.error.code}: ${job.error.detail}`] as const]),
      ]),
    );
  };
  describe(first);
  try {
    const last = await watchJob(
      api,
      id,
      watchSlot,
      signal,
      `${first.type === 'train' ? 'Training' : 'Detection'} job progress`,
    );
    describe(last);
  } catch (error) {
    if (!signal.aborted) details.append(errorNotice(error));
  }
}
