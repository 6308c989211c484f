// OpenTelemetry starts before anything else in every service:
//   node --import @nomaly/platform-telemetry/register dist/main.js
// The ESM loader hook lets the http and gRPC instrumentations patch modules as they load.
// Spans are always created (so logs carry trace ids); they are exported over OTLP only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set — OpenTelemetry's own variables configure the exporter.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const PROBES = new Set(['/health', '/ready', '/metrics']);
const exporting = (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '') !== '';

/** `auth-service` for apps/auth-service/dist/main.js: the name in the nearest package.json. */
function entryPackageName() {
  for (let dir = dirname(process.argv[1] ?? '.'); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return String(name).replace(/^@[^/]+\//, '');
    } catch {
      // no package.json here: look higher
    }
  }
  return 'nomaly-service';
}

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME || process.env.SERVICE_NAME || entryPackageName(),
  spanProcessors: exporting ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [],
  instrumentations: [
    new HttpInstrumentation({
      // Probes every few seconds would drown the traces that matter.
      ignoreIncomingRequestHook: (request) => PROBES.has((request.url ?? '').split('?')[0]),
    }),
    new GrpcInstrumentation(),
  ],
});
sdk.start();

// Flush what is buffered on shutdown, but never let a dead collector hold the process.
const shutdown = () =>
  Promise.race([sdk.shutdown(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
// runService awaits this before it exits (process.exit skips 'beforeExit').
globalThis[Symbol.for('nomaly.telemetry.shutdown')] = shutdown;
