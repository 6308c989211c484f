import { createHash } from 'node:crypto';
import { GrpcServiceClient, type Resilience } from '@nomaly/platform-core';
import { datasetV1, GRPC_LOADER_OPTIONS, modelV1, PROTO_FILES, protoPath } from '@nomaly/proto';

const loader = () => ({
  ...GRPC_LOADER_OPTIONS,
  includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
});

/** Artifacts travel in pieces well under gRPC's 4 MiB message limit. */
const ARTIFACT_CHUNK_BYTES = 1024 * 1024;

export interface UpstreamClientOptions {
  /** `host:port` of the service (`DATASET_SERVICE_GRPC_URL`, `MODEL_SERVICE_GRPC_URL`). */
  readonly address: string;
  /** The caller's resilience: timeouts, retries and breakers of the `api` preset. */
  readonly resilience: Resilience;
}

/** The dataset-service over gRPC: descriptions and row streams. */
export class DatasetClient {
  private readonly client: GrpcServiceClient;
  readonly describe: (
    tenantId: string,
    datasetId: string,
  ) => Promise<datasetV1.DescribeDatasetResponse>;

  constructor(options: UpstreamClientOptions) {
    this.client = new GrpcServiceClient({
      protoFile: protoPath(PROTO_FILES.dataset),
      loader: loader(),
      service: `${datasetV1.protobufPackage}.DatasetService`,
      address: options.address,
    });
    this.describe = options.resilience.wrap(
      'dataset.describe',
      'api',
      (tenantId: string, datasetId: string) =>
        this.client.unary<datasetV1.DescribeDatasetRequest, datasetV1.DescribeDatasetResponse>(
          'DescribeDataset',
          { datasetId },
          { tenantId },
        ),
      { idempotent: true },
    );
  }

  /** The selected columns (and the label), chunk by chunk, in row order from `startRow`. */
  rows(
    tenantId: string,
    request: datasetV1.StreamRowsRequest,
  ): AsyncGenerator<datasetV1.StreamRowsResponse> {
    // Long datasets take long to stream: the deadline scales with the work, not the preset.
    return this.client.serverStream('StreamRows', request, { tenantId, timeoutMs: 600_000 });
  }

  close(): void {
    this.client.close();
  }
}

/** A stored model version and its artifact bytes. */
export interface FetchedVersion {
  readonly info: modelV1.VersionInfo;
  readonly artifact: Buffer;
}

/** The model-service over gRPC: save, fetch and resolve versions. */
export class ModelClient {
  private readonly client: GrpcServiceClient;
  readonly fetch: (tenantId: string, modelId: string, version: number) => Promise<FetchedVersion>;
  readonly champion: (
    tenantId: string,
    modelId: string,
  ) => Promise<modelV1.VersionInfo | undefined>;

  constructor(options: UpstreamClientOptions) {
    this.client = new GrpcServiceClient({
      protoFile: protoPath(PROTO_FILES.model),
      loader: loader(),
      service: `${modelV1.protobufPackage}.ModelService`,
      address: options.address,
    });
    this.fetch = options.resilience.wrap(
      'model.fetch',
      'api',
      async (tenantId: string, modelId: string, version: number) => {
        let info: modelV1.VersionInfo | undefined;
        const pieces: Buffer[] = [];
        for await (const part of this.client.serverStream<
          modelV1.FetchVersionRequest,
          modelV1.FetchVersionResponse
        >('FetchVersion', { modelId, version }, { tenantId, timeoutMs: 60_000 })) {
          if (part.metadata !== undefined && part.metadata !== null) info = part.metadata;
          if (part.chunk !== undefined && part.chunk !== null) pieces.push(Buffer.from(part.chunk));
        }
        if (info === undefined) throw new Error('FetchVersion sent no metadata');
        const artifact = Buffer.concat(pieces);
        const digest = createHash('sha256').update(artifact).digest('hex');
        if (digest !== info.sha256) {
          throw new Error(
            `model ${modelId} v${version}: artifact SHA-256 does not match its record`,
          );
        }
        return { info, artifact };
      },
      { idempotent: true },
    );
    this.champion = options.resilience.wrap(
      'model.resolve-alias',
      'api',
      async (tenantId: string, modelId: string) => {
        try {
          const response = await this.client.unary<
            modelV1.ResolveAliasRequest,
            modelV1.ResolveAliasResponse
          >('ResolveAlias', { modelId, alias: modelV1.Alias.ALIAS_CHAMPION }, { tenantId });
          return response.version ?? undefined;
        } catch (error) {
          // No champion yet is an answer, not a failure of the model-service.
          if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
          throw error;
        }
      },
      { idempotent: true },
    );
  }

  /** Publishes a version: metadata first, then the artifact in chunks (client stream). */
  async save(
    tenantId: string,
    metadata: Omit<modelV1.SaveVersionMetadata, 'sha256' | 'sizeBytes'>,
    artifact: Buffer,
  ): Promise<modelV1.VersionInfo> {
    const sha256 = createHash('sha256').update(artifact).digest('hex');
    function* messages(): Generator<modelV1.SaveVersionRequest> {
      yield { metadata: { ...metadata, sha256, sizeBytes: artifact.length } };
      for (let offset = 0; offset < artifact.length; offset += ARTIFACT_CHUNK_BYTES) {
        yield { chunk: artifact.subarray(offset, offset + ARTIFACT_CHUNK_BYTES) };
      }
    }
    const response = await this.client.clientStream<
      modelV1.SaveVersionRequest,
      modelV1.SaveVersionResponse
    >('SaveVersion', messages(), { tenantId, timeoutMs: 120_000 });
    if (response.version === undefined || response.version === null) {
      throw new Error('SaveVersion answered without a version');
    }
    return response.version;
  }

  close(): void {
    this.client.close();
  }
}
