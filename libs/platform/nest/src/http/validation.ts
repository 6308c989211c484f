import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ServiceError, type FieldProblem } from '@nomaly/platform-core';

function flatten(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    for (const message of Object.values(error.constraints ?? {})) {
      problems.push({ field, message });
    }
    problems.push(...flatten(error.children ?? [], field));
  }
  return problems;
}

/**
 * The one request-validation pipe: DTO classes are the schema, unknown fields are rejected
 * (never silently stripped: a client sending `role` or `tenantId` must learn it is not
 * accepted — no mass assignment), and every problem is reported with its field path.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const problems = flatten(errors);
      return new ServiceError(
        'VALIDATION_FAILED',
        problems.map((p) => `${p.field}: ${p.message}`).join('; ') || 'The request is invalid.',
        { errors: problems },
      );
    },
  });
}
