import { describe, expect, it } from 'vitest';
import { describeProblem, networkProblem } from './problem.js';

describe(describeProblem.name, () => {
  it('reads a problem document: detail, code, field errors and request id', () => {
    const body = JSON.stringify({
      type: 'https://nomaly.dev/problems/validation-failed',
      title: 'The request is invalid',
      status: 422,
      detail: 'labelColumn "y" is not a column of the file.',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'labelColumn', message: 'is not a column of the file' }],
    });
    expect(describeProblem(422, 'application/problem+json', body, 'Uploading a.csv')).toEqual({
      status: 422,
      code: 'VALIDATION_FAILED',
      message: 'Uploading a.csv failed: labelColumn "y" is not a column of the file.',
      fields: ['labelColumn: is not a column of the file'],
      requestId: 'req-1',
    });
  });

  it('falls back to the title, then to words for the status', () => {
    expect(describeProblem(404, 'application/problem+json', '{"title":"Not found"}').message).toBe(
      'Not found.',
    );
    expect(describeProblem(409, 'application/json', '{}').message).toBe(
      'That conflicts with the current state.',
    );
  });

  it('explains the gateway’s plain-text answers', () => {
    const problem = describeProblem(503, 'text/plain', 'no healthy upstream', 'Training');
    expect(problem.message).toBe(
      'Training failed: The service is unavailable (HTTP 503: no healthy upstream).',
    );
    expect(problem.code).toBeUndefined();
  });

  it('survives a JSON content type with a body that is not JSON', () => {
    expect(describeProblem(500, 'application/json', '<html>', undefined).message).toBe(
      'The server failed (HTTP 500: <html>).',
    );
  });
});

describe(networkProblem.name, () => {
  it('says the server could not be reached', () => {
    expect(networkProblem('Signing in', 'Failed to fetch').message).toBe(
      'Signing in failed: the server could not be reached (Failed to fetch). Check your connection and try again.',
    );
  });
});
