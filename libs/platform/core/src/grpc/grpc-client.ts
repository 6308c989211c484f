import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as GrpcStatus,
  type Client,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceClientConstructor,
  type ServiceError as GrpcError,
} from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { ServiceError, type ProblemCode } from '../errors/index.js';

/** Per call: whose data it is, and how long the caller will wait. */
export interface GrpcCallContext {
  /** Sent as `x-tenant-id`: the callee scopes every lookup by it. */
  readonly tenantId: string;
  /** Deadline from now; every call has one (default 10 s). */
  readonly timeoutMs?: number;
}

export interface GrpcClientOptions {
  /** Absolute path of the service's .proto file. */
  readonly protoFile: string;
  /** The loader options of the contract library (`GRPC_LOADER_OPTIONS`). */
  readonly loader: Options;
  /** Fully qualified service name, e.g. `nomaly.dataset.v1.DatasetService`. */
  readonly service: string;
  /** `host:port` of the callee. */
  readonly address: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The callee's status, as the caller's error: what the callee said stays the caller's answer. */
const STATUS_CODES: Readonly<Partial<Record<GrpcStatus, ProblemCode>>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'VALIDATION_FAILED',
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.ALREADY_EXISTS]: 'CONFLICT',
  [GrpcStatus.FAILED_PRECONDITION]: 'CONFLICT',
  [GrpcStatus.PERMISSION_DENIED]: 'FORBIDDEN',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'PAYLOAD_TOO_LARGE',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'TIMEOUT',
};

/** A gRPC failure as a `ServiceError`; transport failures are the dependency's, not the caller's. */
export function fromGrpcError(error: unknown, service: string, method: string): ServiceError {
  if (error instanceof ServiceError) return error;
  const grpcError = error as Partial<GrpcError>;
  const code = typeof grpcError.code === 'number' ? STATUS_CODES[grpcError.code] : undefined;
  if (code !== undefined) {
    return new ServiceError(code, grpcError.details ?? `${service}/${method} failed`, {
      cause: error,
    });
  }
  return new ServiceError(
    'DEPENDENCY_UNAVAILABLE',
    `${service.split('.').pop() ?? service} is unavailable (${method})`,
    { retryAfterSeconds: 5, cause: error },
  );
}

/**
 * A client of one of our gRPC services, typed at each call by the generated messages. Every
 * call carries a deadline and the tenant in metadata (trace context is added by the OTel gRPC
 * instrumentation), and failures come back as `ServiceError`s. Streams are async iterables.
 */
export class GrpcServiceClient {
  private readonly client: Client & Record<string, unknown>;
  private readonly name: string;

  constructor(options: GrpcClientOptions) {
    const definition = loadPackageDefinition(loadSync(options.protoFile, options.loader));
    let constructor: unknown = definition;
    for (const part of options.service.split('.')) {
      constructor = (constructor as Record<string, unknown> | undefined)?.[part];
    }
    if (typeof constructor !== 'function') {
      throw new Error(`${options.service} is not defined in ${options.protoFile}`);
    }
    this.client = new (constructor as ServiceClientConstructor)(
      options.address,
      credentials.createInsecure(),
      // Large enough for our chunked streams (≈ 1 MiB messages), bounded like the server.
      { 'grpc.max_receive_message_length': 8 * 1024 * 1024 },
    );
    this.name = options.service;
  }

  unary<Request, Response>(
    method: string,
    request: Request,
    context: GrpcCallContext,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.method(method).call(
        this.client,
        request,
        metadataFor(context),
        { deadline: deadlineOf(context) },
        (error: GrpcError | null, response: Response) => {
          if (error === null) resolve(response);
          else reject(fromGrpcError(error, this.name, method));
        },
      );
    });
  }

  async *serverStream<Request, Response>(
    method: string,
    request: Request,
    context: GrpcCallContext,
  ): AsyncGenerator<Response> {
    const stream = this.method(method).call(this.client, request, metadataFor(context), {
      deadline: deadlineOf(context),
    }) as ClientReadableStream<Response>;
    try {
      for await (const message of stream) yield message as Response;
    } catch (error) {
      throw fromGrpcError(error, this.name, method);
    } finally {
      stream.cancel();
    }
  }

  async clientStream<Request, Response>(
    method: string,
    messages: Iterable<Request> | AsyncIterable<Request>,
    context: GrpcCallContext,
  ): Promise<Response> {
    let writable: ClientWritableStream<Request> | undefined;
    const done = new Promise<Response>((resolve, reject) => {
      writable = this.method(method).call(
        this.client,
        metadataFor(context),
        { deadline: deadlineOf(context) },
        (error: GrpcError | null, response: Response) => {
          if (error === null) resolve(response);
          else reject(fromGrpcError(error, this.name, method));
        },
      ) as ClientWritableStream<Request>;
    });
    const stream = writable;
    if (stream === undefined) throw new Error('unreachable: the call did not start');
    try {
      for await (const message of messages) {
        // Respect back-pressure: wait for the buffer to drain before writing more.
        if (!stream.write(message)) await new Promise((r) => stream.once('drain', r));
      }
      stream.end();
    } catch (error) {
      // The caller's source failed: cancel, so the server publishes nothing.
      stream.cancel();
      await done.catch(() => undefined);
      throw error;
    }
    return done;
  }

  close(): void {
    this.client.close();
  }

  private method(name: string): (...args: unknown[]) => unknown {
    const method = this.client[name];
    if (typeof method !== 'function') throw new Error(`${this.name} has no method ${name}`);
    return method as (...args: unknown[]) => unknown;
  }
}

function metadataFor(context: GrpcCallContext): Metadata {
  const metadata = new Metadata();
  metadata.set('x-tenant-id', context.tenantId);
  return metadata;
}

function deadlineOf(context: GrpcCallContext): Date {
  return new Date(Date.now() + (context.timeoutMs ?? DEFAULT_TIMEOUT_MS));
}
