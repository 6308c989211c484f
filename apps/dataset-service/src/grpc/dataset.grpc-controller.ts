import { Controller } from '@nestjs/common';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { ServiceError } from '@nomaly/platform-core';
import { datasetV1, timestampFromDate } from '@nomaly/proto';
import { Observable } from 'rxjs';
import { DatasetService } from '../datasets/dataset.service.js';
import type { ColumnType } from '../profile/column-profile.js';

const TYPE_TO_PROTO: Readonly<Record<ColumnType, datasetV1.ColumnType>> = {
  numeric: datasetV1.ColumnType.COLUMN_TYPE_NUMERIC,
  categorical: datasetV1.ColumnType.COLUMN_TYPE_CATEGORICAL,
  timestamp: datasetV1.ColumnType.COLUMN_TYPE_TIMESTAMP,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller's tenant from the `x-tenant-id` metadata entry. Inside the mesh, Istio's mTLS and
 * an AuthorizationPolicy decide which workloads may call; the tenant scopes every read.
 */
export function tenantOf(metadata: Metadata | undefined): string {
  const value = metadata?.get('x-tenant-id')[0];
  const tenant = typeof value === 'string' ? value : value?.toString('utf8');
  if (tenant === undefined || !UUID.test(tenant)) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'The "x-tenant-id" metadata entry must carry the tenant id (a UUID).',
    );
  }
  return tenant.toLowerCase();
}

/** A dataset id from a request: anything but a UUID names no dataset. */
function datasetIdOf(id: string): string {
  if (!UUID.test(id)) throw new ServiceError('NOT_FOUND', `No dataset with id ${id.slice(0, 64)}.`);
  return id.toLowerCase();
}

/**
 * `nomaly.dataset.v1.DatasetService` for other services. Errors go through the platform's
 * GrpcErrorFilter, the one mapping from our codes to gRPC status codes.
 */
@Controller()
@datasetV1.DatasetServiceControllerMethods()
export class DatasetGrpcController implements datasetV1.DatasetServiceController {
  constructor(private readonly datasets: DatasetService) {}

  async describeDataset(
    request: datasetV1.DescribeDatasetRequest,
    metadata?: Metadata,
  ): Promise<datasetV1.DescribeDatasetResponse> {
    const entity = await this.datasets.entity(tenantOf(metadata), datasetIdOf(request.datasetId));
    return {
      datasetId: entity.id,
      name: entity.name,
      version: entity.version,
      rows: entity.rows,
      columns: entity.schema.map((column, i) => ({
        name: column.name,
        type: TYPE_TO_PROTO[column.type],
        isLabel: column.role === 'label',
        missing: entity.stats[i]!.missing,
        index: column.index,
      })),
      ...(entity.labelColumn === null ? {} : { labelColumn: entity.labelColumn }),
      checksum: entity.checksum,
      createdAt: timestampFromDate(entity.createdAt),
    };
  }

  /**
   * Streams from an async generator, pulling the next message only when the call's write
   * buffer has drained: a slow client holds back the database reads instead of filling memory.
   */
  streamRows(
    request: datasetV1.StreamRowsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<datasetV1.StreamRowsRequest, datasetV1.StreamRowsResponse>,
  ): Observable<datasetV1.StreamRowsResponse> {
    return new Observable<datasetV1.StreamRowsResponse>((subscriber) => {
      let stopped = false;
      const ready = (): Promise<void> =>
        call === undefined || !call.writableNeedDrain
          ? Promise.resolve()
          : new Promise((resolve) => {
              call.once('drain', resolve);
              call.once('cancelled', resolve);
            });
      const run = async (): Promise<void> => {
        const rows = this.datasets.streamRows(tenantOf(metadata), datasetIdOf(request.datasetId), {
          columns: request.columns,
          includeLabel: request.includeLabel,
          maxRowsPerChunk: request.maxRowsPerChunk,
          startRow: request.startRow,
          ready,
          cancelled: () => stopped || call?.cancelled === true,
        });
        for await (const chunk of rows) {
          if (stopped) return;
          subscriber.next(chunk);
        }
        subscriber.complete();
      };
      run().catch((error: unknown) => subscriber.error(error));
      return () => {
        stopped = true;
      };
    });
  }
}
