import { formatCount } from '../../lib/format.js';
import type { ApiClient } from '../api.js';
import { h } from '../dom.js';
import type { Job, JobState } from '../types.js';
import { errorNotice } from './notice.js';
import { ProgressView } from './progress.js';

const TERMINAL: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);
/** Polling interval: often enough to look live, rare enough to be no load on the service. */
const POLL_MS = 1000;

export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** "1,200 of 300,000 rows", or the state alone before the total is known. */
export function jobProgressText(job: Job): string {
  const { rows, totalRows } = job.progress;
  const counted = totalRows > 0 ? `${formatCount(rows)} of ${formatCount(totalRows)} rows` : '';
  switch (job.state) {
    case 'queued':
      return job.error === undefined
        ? 'Queued, waiting for a worker'
        : `Queued again after an error: ${job.error.detail}`;
    case 'running':
      return counted === '' ? 'Running' : `Running: ${counted}`;
    case 'succeeded':
      return counted === '' ? 'Finished' : `Finished: ${counted}`;
    case 'failed':
      return `Failed: ${job.error?.detail ?? 'no reason given'}`;
    case 'cancelled':
      return counted === '' ? 'Cancelled' : `Cancelled after ${counted}`;
  }
}

/**
 * A job's live progress: a progress bar polled from `GET /api/v1/jobs/{id}` until the job ends,
 * with a Cancel button while it runs. Resolves with the final job; rejects only when polling
 * fails (the error is shown in place) or the page is left (`signal`).
 */
export function watchJob(
  api: ApiClient,
  jobId: string,
  slot: HTMLElement,
  signal: AbortSignal,
  label = 'Job progress',
): Promise<Job> {
  const progress = new ProgressView(label);
  const messages = h('div');
  const cancel = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        cancel.disabled = true;
        api
          .post<Job>(`/api/v1/jobs/${encodeURIComponent(jobId)}/cancel`, {
            signal,
            action: 'Cancelling the job',
          })
          .catch((error: unknown) => {
            cancel.disabled = false;
            messages.replaceChildren(errorNotice(error));
          });
      },
    },
    'Cancel job',
  );
  slot.replaceChildren(
    h('div', { class: 'job-watch', 'data-job-id': jobId }, progress.element, cancel, messages),
  );
  return new Promise((resolve, reject) => {
    const poll = async (): Promise<void> => {
      try {
        const { body: job } = await api.get<Job>(`/api/v1/jobs/${encodeURIComponent(jobId)}`, {
          signal,
          action: 'Reading the job',
        });
        const text = jobProgressText(job);
        if (isTerminal(job.state)) {
          progress.finish(text, job.state === 'succeeded');
          cancel.remove();
          slot.querySelector('.job-watch')?.setAttribute('data-state', job.state);
          resolve(job);
          return;
        }
        if (job.progress.totalRows > 0) {
          progress.update(job.progress.rows, job.progress.totalRows, text);
        } else {
          progress.indeterminate(text);
        }
        setTimeout(() => void poll(), POLL_MS);
      } catch (error) {
        if (!signal.aborted) messages.replaceChildren(errorNotice(error));
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    void poll();
  });
}
