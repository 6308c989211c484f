import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/** The structured logger every service uses; a plain pino logger so adapters can pass it on. */
export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Written on every line as `service`, so lines from all services can share one index. */
  readonly service: string;
  /** A pino level (`fatal` … `trace`, or `silent`); validated by the config at boot. */
  readonly level: string;
  /** Where lines go; stdout when absent. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
}

/**
 * Values that must never reach a log line. Headers are listed under the places our HTTP
 * adapters and clients put them; secret-looking fields are listed at the top level and one level
 * down (fast-redact wildcards match exactly one level, so both are needed).
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  ...['password', 'apiKey', 'secret', 'token', 'accessToken', 'refreshToken'].flatMap((field) => [
    field,
    `*.${field}`,
  ]),
];

/**
 * Creates the JSON logger of a service. Each line carries the service name, an ISO timestamp, the
 * level as a word, and — when a span is active — the `trace_id` and `span_id` of OpenTelemetry,
 * so a log line leads to its trace and back. Only `@opentelemetry/api` is used here: with no SDK
 * registered there is never an active span and the mixin adds nothing.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      mixin: traceContext,
    },
    options.destination,
  );
}

function traceContext(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}
