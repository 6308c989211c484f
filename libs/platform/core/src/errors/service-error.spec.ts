import { describe, expect, it } from 'vitest';
import { ServiceError, toProblem } from './service-error.js';

describe(ServiceError.name, () => {
  it('takes its status from the code unless overridden', () => {
    expect(new ServiceError('NOT_FOUND', 'x').status).toBe(404);
    expect(new ServiceError('VALIDATION_FAILED', 'x', { status: 422 }).status).toBe(422);
    expect(new ServiceError('FORBIDDEN', 'x').isClientError).toBe(true);
    expect(new ServiceError('DEPENDENCY_UNAVAILABLE', 'x').isClientError).toBe(false);
  });
});

describe(toProblem.name, () => {
  it('renders an RFC 9457 document with the stable code and field errors', () => {
    const problem = toProblem(
      new ServiceError('VALIDATION_FAILED', 'name must be a string', {
        errors: [{ field: 'name', message: 'must be a string' }],
        details: { status: 999, limit: 3 },
      }),
      { instance: '/api/v1/things', requestId: 'r-1' },
    );
    expect(problem).toEqual({
      type: 'https://nomaly.dev/problems/validation-failed',
      title: 'The request is invalid',
      status: 400,
      detail: 'name must be a string',
      code: 'VALIDATION_FAILED',
      instance: '/api/v1/things',
      requestId: 'r-1',
      errors: [{ field: 'name', message: 'must be a string' }],
      limit: 3,
    });
  });

  it('never leaks the message or stack of an unexpected error', () => {
    const problem = toProblem(new Error('connect ECONNREFUSED 10.0.0.3:5432 password=x'));
    expect(problem.code).toBe('INTERNAL');
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|password|at /);
  });
});
