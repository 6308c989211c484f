import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { Context, ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** A pino destination that keeps each line, parsed. */
function captureLines(): { lines: Record<string, unknown>[]; write(line: string): void } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/**
 * What `@opentelemetry/context-async-hooks` does, in a few lines: that package is only a
 * transitive dependency here, which the module-boundary lint rightly refuses to import.
 */
class AsyncLocalStorageContext implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

describe(createLogger.name, () => {
  const contextManager = new AsyncLocalStorageContext();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });

  afterAll(() => {
    context.disable();
  });

  it('writes JSON with the service, a word level and an ISO timestamp', () => {
    const sink = captureLines();
    const logger = createLogger({ service: 'svc-a', level: 'info', destination: sink });
    logger.info({ detectorId: 'd1' }, 'trained');
    logger.debug('below the level');
    expect(sink.lines).toHaveLength(1);
    const [line] = sink.lines;
    expect(line).toMatchObject({
      service: 'svc-a',
      level: 'info',
      msg: 'trained',
      detectorId: 'd1',
    });
    expect(new Date(line?.['time'] as string).toISOString()).toBe(line?.['time']);
    expect(line).not.toHaveProperty('trace_id');
  });

  it('adds trace_id and span_id of the active span', () => {
    const sink = captureLines();
    const logger = createLogger({ service: 'svc-b', level: 'info', destination: sink });
    const tracer = new BasicTracerProvider().getTracer('logger-spec');
    const ids = tracer.startActiveSpan('work', (span) => {
      logger.info('inside');
      span.end();
      return span.spanContext();
    });
    logger.info('outside');
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(sink.lines[0]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(sink.lines[1]).not.toHaveProperty('trace_id');
  });

  it('ignores a span without a valid context', () => {
    const sink = captureLines();
    const logger = createLogger({ service: 'svc-c', level: 'info', destination: sink });
    const invalid = trace.wrapSpanContext({
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      traceFlags: 0,
    });
    context.with(trace.setSpan(context.active(), invalid), () => logger.info('x'));
    expect(sink.lines[0]).not.toHaveProperty('trace_id');
  });

  it('redacts credentials in headers and secret fields', () => {
    const sink = captureLines();
    const logger = createLogger({ service: 'svc-d', level: 'info', destination: sink });
    logger.info(
      {
        req: {
          method: 'POST',
          headers: {
            authorization: 'Bearer abc',
            cookie: 'sid=1',
            'x-api-key': 'nmly_k',
            accept: '*/*',
          },
        },
        password: 'p1',
        token: 't1',
        user: { name: 'ann', password: 'p2', apiKey: 'k2', secret: 's2' },
      },
      'login',
    );
    const text = JSON.stringify(sink.lines[0]);
    for (const secret of ['abc', 'sid=1', 'nmly_k', 'p1', 't1', 'p2', 'k2', 's2']) {
      expect(text).not.toContain(secret);
    }
    expect(sink.lines[0]).toMatchObject({
      req: { method: 'POST', headers: { authorization: '[REDACTED]', accept: '*/*' } },
      user: { name: 'ann', password: '[REDACTED]' },
    });
  });
});
