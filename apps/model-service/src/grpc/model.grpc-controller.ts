import { Controller, Inject } from '@nestjs/common';
import { status as GrpcStatus, type Metadata, type ServerReadableStream } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { ServiceError } from '@nomaly/platform-core';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import { modelV1, timestampFromDate } from '@nomaly/proto';
// Observable is imported as a type only, and must stay so: as a value, the parameter's emitted
// design type would be the Observable class, and the global ValidationPipe would then
// "transform" the request stream into a detached copy that never emits.
import {
  concat,
  from,
  ignoreElements,
  lastValueFrom,
  mergeMap,
  of,
  tap,
  type Observable,
} from 'rxjs';
import { ArtifactIntegrityError, chunks } from '../artifacts/artifact.js';
import { ArtifactUpload } from '../artifacts/artifact-upload.js';
import type { ModelConfig } from '../config.js';
import { AliasService } from '../aliases/alias.service.js';
import type { AliasName, Lineage, ModelVersionEntity } from '../persistence/index.js';
import { EMPTY_LINEAGE, VersionService, type PublishTarget } from '../versions/version.service.js';
import { parseVersionNumber } from '../versions/version-number.pipe.js';
import { modelIdOf, tenantOf } from './tenant-metadata.js';

const ALIAS_FROM_PROTO: Readonly<Partial<Record<modelV1.Alias, AliasName>>> = {
  [modelV1.Alias.ALIAS_CHAMPION]: 'champion',
  [modelV1.Alias.ALIAS_CHALLENGER]: 'challenger',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function versionInfo(version: {
  modelId: string;
  version: number;
  sha256: string;
  sizeBytes: number;
  algorithm: string;
  createdAt: Date;
}): modelV1.VersionInfo {
  return {
    modelId: version.modelId,
    version: version.version,
    sha256: version.sha256,
    sizeBytes: version.sizeBytes,
    algorithm: version.algorithm,
    createdAt: timestampFromDate(version.createdAt),
  };
}

/** Empty strings are "unknown"; ids must be UUIDs so lineage can be joined across services. */
function lineageOf(lineage: modelV1.Lineage | undefined): Lineage {
  if (lineage === undefined) return EMPTY_LINEAGE;
  const id = (field: string, value: string): string | null => {
    if (value === '') return null;
    if (!UUID.test(value)) {
      throw new ServiceError('VALIDATION_FAILED', `lineage.${field} must be a UUID.`);
    }
    return value.toLowerCase();
  };
  const text = (field: string, value: string): string | null => {
    if (value.length > 200) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `lineage.${field} is longer than 200 characters.`,
      );
    }
    return value === '' ? null : value;
  };
  return {
    datasetId: id('dataset_id', lineage.datasetId),
    datasetChecksum: text('dataset_checksum', lineage.datasetChecksum),
    detectorId: id('detector_id', lineage.detectorId),
    codeVersion: text('code_version', lineage.codeVersion),
  };
}

function metricOf(field: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ServiceError('VALIDATION_FAILED', `metrics.${field} must be in [0, 1].`);
  }
  return value;
}

/** A stored artifact that fails verification is data loss, not a generic internal error. */
function integrityToDataLoss(error: unknown): unknown {
  return error instanceof ArtifactIntegrityError
    ? new RpcException({ code: GrpcStatus.DATA_LOSS, message: error.message })
    : error;
}

/**
 * `nomaly.model.v1.ModelService` for other services (the detector-service saves and fetches
 * versions; edge agents resolve aliases). Errors map to gRPC statuses through the platform's
 * GrpcErrorFilter, which the gRPC server shares with the HTTP app.
 */
@Controller()
@modelV1.ModelServiceControllerMethods()
export class ModelGrpcController implements modelV1.ModelServiceController {
  private readonly maxArtifactBytes: number;

  constructor(
    private readonly versions: VersionService,
    private readonly aliases: AliasService,
    @Inject(PLATFORM_CONFIG) config: ModelConfig,
  ) {
    this.maxArtifactBytes = Math.floor(config.MAX_REQUEST_SIZE_MB * 1024 * 1024);
  }

  /**
   * Nest completes the request stream when the client cancels or the deadline passes, exactly
   * as when the client half-closes; only the call itself tells them apart. So the upload is
   * published only if every declared byte arrived with the right SHA-256 and the call is still
   * live when the upload is checked and again just before COMMIT: a stream broken off before
   * its last byte can never become a version. (A client that cancels after sending every byte
   * and half-closing races the commit, like any call whose response it stops waiting for.)
   */
  saveVersion(
    requests: Observable<modelV1.SaveVersionRequest>,
    metadata?: Metadata,
    call?: ServerReadableStream<modelV1.SaveVersionRequest, modelV1.SaveVersionResponse>,
  ): Observable<modelV1.SaveVersionResponse> {
    // Not `async`: @GrpcStreamMethod holds the incoming messages back until the handler returns,
    // and until a returned promise settles — a handler awaiting the stream would wait forever.
    // Returning an Observable releases them at once; `save` has subscribed by then.
    return from(this.save(requests, metadata, call));
  }

  private async save(
    requests: Observable<modelV1.SaveVersionRequest>,
    metadata: Metadata | undefined,
    call: ServerReadableStream<modelV1.SaveVersionRequest, modelV1.SaveVersionResponse> | undefined,
  ): Promise<modelV1.SaveVersionResponse> {
    const tenantId = tenantOf(metadata);
    const upload = new ArtifactUpload<modelV1.SaveVersionMetadata>(this.maxArtifactBytes);
    // A message that breaks a rule errors the pipe, which unsubscribes from the call at once.
    await lastValueFrom(
      requests.pipe(
        tap((message) => upload.accept(message)),
        ignoreElements(),
      ),
      { defaultValue: undefined },
    );
    // Node's client half-closes a call it cancels, then resets it: the reset may be read just
    // after the end of the stream. One turn of the event loop lets it land before deciding.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (call?.cancelled === true) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        'The SaveVersion call was cancelled; nothing was published.',
      );
    }
    const { metadata: declared, bytes } = upload.finish();
    const target: PublishTarget =
      declared.modelId !== ''
        ? { modelId: modelIdOf(declared.modelId) }
        : { modelName: checkModelName(declared.modelName) };
    const published = await this.versions.publish(tenantId, {
      target,
      artifact: bytes,
      trainingDurationMs: checkDuration(declared.trainingDurationMs),
      metrics:
        declared.metrics === undefined
          ? null
          : {
              rocAuc: metricOf('roc_auc', declared.metrics.rocAuc),
              averagePrecision: metricOf('average_precision', declared.metrics.averagePrecision),
            },
      lineage: lineageOf(declared.lineage),
      publishKey: checkPublishKey(declared.publishKey),
      // Checked again just before COMMIT: a client gone by then gets no version either.
      abandoned: () => call?.cancelled === true,
    });
    return {
      version: versionInfo({ ...published, createdAt: new Date(published.createdAt) }),
    };
  }

  /** The metadata first, then the verified artifact in chunks of at most 1 MiB. */
  fetchVersion(
    request: modelV1.FetchVersionRequest,
    metadata?: Metadata,
  ): Observable<modelV1.FetchVersionResponse> {
    return from(this.loadVersion(request, metadata)).pipe(
      mergeMap(({ version, bytes }) =>
        concat(
          of<modelV1.FetchVersionResponse>({ metadata: versionInfo(version) }),
          from(chunks(bytes).map((chunk): modelV1.FetchVersionResponse => ({ chunk }))),
        ),
      ),
    );
  }

  private async loadVersion(
    request: modelV1.FetchVersionRequest,
    metadata: Metadata | undefined,
  ): Promise<{ version: ModelVersionEntity; bytes: Buffer }> {
    const tenantId = tenantOf(metadata);
    const modelId = modelIdOf(request.modelId);
    const number = parseVersionNumber(request.version);
    if (number === undefined) {
      throw new ServiceError('NOT_FOUND', `No version ${request.version} of model ${modelId}.`);
    }
    try {
      const { version, artifact } = await this.versions.artifact(tenantId, modelId, number);
      return { version, bytes: artifact.bytes };
    } catch (error) {
      throw integrityToDataLoss(error);
    }
  }

  async resolveAlias(
    request: modelV1.ResolveAliasRequest,
    metadata?: Metadata,
  ): Promise<modelV1.ResolveAliasResponse> {
    const tenantId = tenantOf(metadata);
    const alias = ALIAS_FROM_PROTO[request.alias];
    if (alias === undefined) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        'alias must be ALIAS_CHAMPION or ALIAS_CHALLENGER.',
      );
    }
    const resolved = await this.aliases.resolve(tenantId, modelIdOf(request.modelId), alias);
    return {
      version: versionInfo({ ...resolved, createdAt: new Date(resolved.createdAt) }),
      updatedAt: timestampFromDate(new Date(resolved.updatedAt)),
    };
  }
}

function checkModelName(name: string): string {
  if (name.length < 1 || name.length > 200) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'metadata must name the model: model_id, or model_name of 1 to 200 characters.',
    );
  }
  return name;
}

/** Empty for none; otherwise 1 to 200 printable ASCII characters without spaces. */
function checkPublishKey(key: string): string | null {
  if (key === '') return null;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'metadata.publish_key must be 1 to 200 printable ASCII characters without spaces.',
    );
  }
  return key;
}

function checkDuration(ms: number): number | null {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new ServiceError('VALIDATION_FAILED', 'metadata.training_duration_ms must be ≥ 0.');
  }
  // proto3 cannot tell an unset int64 from 0: a training measured as 0 ms is "not reported".
  return ms === 0 ? null : ms;
}
