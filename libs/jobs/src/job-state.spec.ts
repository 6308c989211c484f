import { describe, expect, it } from 'vitest';
import {
  canTransition,
  isJobState,
  isTerminal,
  JOB_STATES,
  OPEN_STATES,
  sourcesOf,
  type JobState,
} from './job-state.js';

describe('job states', () => {
  it('allows exactly the edges of the life cycle', () => {
    const edges = JOB_STATES.flatMap((from) =>
      JOB_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(edges.sort()).toEqual(
      [
        'queued→running',
        'queued→cancelled',
        'queued→failed',
        'running→running',
        'running→queued',
        'running→succeeded',
        'running→failed',
        'running→cancelled',
      ].sort(),
    );
  });

  it('has no way out of succeeded, failed or cancelled', () => {
    const terminal = JOB_STATES.filter(isTerminal);
    expect(terminal).toEqual(['succeeded', 'failed', 'cancelled']);
    for (const from of terminal) {
      for (const to of JOB_STATES) expect(canTransition(from, to), `${from}→${to}`).toBe(false);
    }
    expect(OPEN_STATES).toEqual(['queued', 'running']);
  });

  it('gives each UPDATE its guard: the states a job may leave for the target', () => {
    const guards = Object.fromEntries(JOB_STATES.map((to) => [to, sourcesOf(to)]));
    expect(guards).toEqual<Record<JobState, JobState[]>>({
      queued: ['running'],
      running: ['queued', 'running'],
      succeeded: ['running'],
      failed: ['queued', 'running'],
      cancelled: ['queued', 'running'],
    });
  });

  it('recognises states', () => {
    expect(isJobState('running')).toBe(true);
    expect(isJobState('RUNNING')).toBe(false);
    expect(isJobState(undefined)).toBe(false);
  });
});
