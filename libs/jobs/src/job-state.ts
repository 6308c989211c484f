/**
 * The life of a job. Postgres holds the state; every change is a guarded UPDATE whose `WHERE
 * state = ANY(…)` comes from {@link sourcesOf}, so two processes racing on one job (a cancel and
 * a worker, two workers after a lost lock) cannot move it along an edge this table lacks.
 *
 *   queued ──► running ──► succeeded
 *     │  ▲       │ ▲ ├───► failed
 *     │  └───────┘ └─┤───► cancelled
 *     └──► cancelled, failed
 *
 * running → running is a worker picking up a job whose previous worker vanished (killed, or its
 * queue lock lost); running → queued is a job handed back (SIGTERM) or waiting to be retried
 * after a transient failure. succeeded, failed and cancelled are final.
 */
export const JOB_TYPES = ['train', 'detect'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['running', 'queued', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && (JOB_TYPES as readonly string[]).includes(value);
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/** Whether a job may go from `from` to `to`. */
export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** No way out: succeeded, failed or cancelled. */
export function isTerminal(state: JobState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** The states a job may be in for `to` to be its next one: the guard of every UPDATE. */
export function sourcesOf(to: JobState): JobState[] {
  return JOB_STATES.filter((from) => canTransition(from, to));
}

/** The states the reconciler and the workers care about: accepted and not yet finished. */
export const OPEN_STATES: readonly JobState[] = JOB_STATES.filter((state) => !isTerminal(state));
