import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  createLogger,
  effectiveLogLevel,
  maskConfig,
  PlatformMetrics,
  type Logger,
  type PlatformConfig,
} from '@nomaly/platform-core';
import { fastifyServerOptions, registerHttpPlatform } from './http/fastify-setup.js';
import { ProblemFilter } from './http/problem.filter.js';
import { createValidationPipe } from './http/validation.js';
import { Lifecycle } from './lifecycle.js';
import { PinoNestLogger } from './logger.js';
import { PlatformModule, type PlatformOptions } from './platform.module.js';
import type { ServiceInfo } from './tokens.js';

export interface ServiceDefinition {
  readonly info: ServiceInfo;
  readonly config: PlatformConfig;
  /** The service's feature modules; the platform module is added around them. */
  readonly imports: ReadonlyArray<Type | DynamicModule>;
  readonly database?: PlatformOptions['database'];
  readonly keySource?: PlatformOptions['keySource'];
  /** The gRPC server, on `HOST:GRPC_PORT`; `loader` are the contract library's proto-loader options. */
  readonly grpc?: {
    readonly package: string | string[];
    readonly protoPath: string | string[];
    readonly loader: NonNullable<GrpcOptions['options']['loader']>;
  };
}

export interface ServiceApp {
  readonly app: NestFastifyApplication;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/**
 * Builds a service on the platform without listening: Fastify with the platform's hooks,
 * problem+json, validation, guards, OpenAPI at `/api/docs`, and the gRPC server when defined.
 */
export async function createServiceApp(definition: ServiceDefinition): Promise<ServiceApp> {
  const { config } = definition;
  const logger = createLogger({ service: config.SERVICE_NAME, level: effectiveLogLevel(config) });
  const metrics = new PlatformMetrics(config.SERVICE_NAME);
  const lifecycle = new Lifecycle();
  logger.info({ config: maskConfig(config) }, 'configuration');

  const adapter = new FastifyAdapter(
    fastifyServerOptions({
      logger,
      maxRequestBytes: Math.floor(config.MAX_REQUEST_SIZE_MB * 1024 * 1024),
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    }),
  );
  await registerHttpPlatform(adapter.getInstance(), {
    logger,
    metrics,
    corsOrigins: config.CORS_ORIGINS,
    lifecycle,
  });

  @Module({
    imports: [
      PlatformModule.forRoot({
        config,
        info: definition.info,
        logger,
        metrics,
        lifecycle,
        ...(definition.database === undefined ? {} : { database: definition.database }),
        ...(definition.keySource === undefined ? {} : { keySource: definition.keySource }),
      }),
      ...definition.imports,
    ],
  })
  class ServiceRootModule {}

  const app = await NestFactory.create<NestFastifyApplication>(ServiceRootModule, adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // JSON goes through the platform's own parser (registerHttpPlatform); no form bodies.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemFilter(logger));
  app.useGlobalPipes(createValidationPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(definition.info.title)
      .setDescription(definition.info.description)
      .setVersion(definition.info.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });

  if (definition.grpc !== undefined) {
    // Nest binds a hybrid app's gRPC handlers to the global filters and pipes known when the
    // microservice is connected, so `useGlobalFilters()` on it afterwards never applied (every
    // error left as UNKNOWN "Internal server error"). The gRPC server shares the app's
    // configuration instead: the validation pipe, and the ProblemFilter, which maps errors of
    // RPC handlers through GrpcErrorFilter.
    app.connectMicroservice<GrpcOptions>(
      {
        transport: Transport.GRPC,
        options: {
          package: definition.grpc.package,
          protoPath: definition.grpc.protoPath,
          url: `${config.HOST}:${config.GRPC_PORT}`,
          loader: definition.grpc.loader,
        },
      },
      { inheritAppConfig: true },
    );
  }
  return { app, logger, lifecycle };
}

/**
 * Runs a service: HTTP on `HOST:PORT`, gRPC when defined, and graceful shutdown on SIGTERM or
 * SIGINT — readiness goes false, new connections are refused, in-flight requests finish,
 * pools close — bounded by `SHUTDOWN_TIMEOUT_MS`, after which the process exits anyway.
 */
export async function runService(definition: ServiceDefinition): Promise<ServiceApp> {
  const service = await createServiceApp(definition);
  const { app, logger, lifecycle } = service;
  const { config } = definition;
  await app.startAllMicroservices();
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    {
      http: `http://${config.HOST}:${config.PORT}`,
      ...(definition.grpc === undefined ? {} : { grpc: `${config.HOST}:${config.GRPC_PORT}` }),
    },
    `${config.SERVICE_NAME} listening`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    lifecycle.startDraining();
    logger.info({ signal }, 'shutting down: draining in-flight work');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    app
      .close()
      .then(
        () => {
          logger.info('stopped');
          return 0;
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          return 1;
        },
      )
      .then(
        async (code) => {
          await flushTelemetry();
          process.exit(code);
        },
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return service;
}

/** Set by `@nomaly/platform-telemetry/register`: flushes buffered spans, bounded. */
const TELEMETRY_SHUTDOWN = Symbol.for('nomaly.telemetry.shutdown');

async function flushTelemetry(): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN];
  if (typeof shutdown === 'function') await (shutdown as () => Promise<unknown>)();
}
