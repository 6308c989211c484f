import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { clampLimit, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '@nomaly/platform-core';
import type { FastifyRequest } from 'fastify';

/** `?limit=&cursor=` of a list route: `limit` clamped to [1, 200], `cursor` opaque. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor: string | undefined;
}

/** The list parameters of the request (ARCHITECTURE.md "Lists"). */
export const PageParams = createParamDecorator(
  (_data: unknown, context: ExecutionContext): PageRequest => {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<
      string,
      unknown
    >;
    const limit = typeof query.limit === 'string' ? query.limit : undefined;
    const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
    return { limit: clampLimit(limit), cursor };
  },
);

/** Documents `limit` and `cursor` in the OpenAPI description of a list route. */
export const ApiPageQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: `Items per page, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); larger values are clamped`,
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: '`nextCursor` of the previous page',
    }),
  );
