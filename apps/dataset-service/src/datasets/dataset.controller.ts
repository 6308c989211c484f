import type { Readable } from 'node:stream';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ServiceError, type Page, type Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  NotReplayable,
  PageParams,
  PLATFORM_CONFIG,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import type { FastifyRequest } from 'fastify';
import { Inject } from '@nestjs/common';
import type { DatasetConfig } from '../config.js';
import { tooManyBytes } from '../ingest/limits.js';
import { UPLOAD_FORMATS, type UploadFormat } from '../ingest/table.js';
import {
  DatasetDto,
  DatasetSummaryDto,
  QualityDto,
  SampleDto,
  SampleQueryDto,
  UploadDatasetQueryDto,
} from './dataset.dto.js';
import { DatasetService } from './dataset.service.js';
import { mediaType, STREAM_BODY } from './upload-body.js';

/** Multipart framing (boundaries, part headers) on top of the file's own bytes. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const ACCEPTED = `${Object.keys(UPLOAD_FORMATS).join(', ')} or multipart/form-data with a "file" field`;

function formatOfFile(mimetype: string, filename: string): UploadFormat | undefined {
  const byType = UPLOAD_FORMATS[mimetype.toLowerCase() as keyof typeof UPLOAD_FORMATS];
  if (byType !== undefined) return byType;
  // Browsers label files by extension only when they know it; the name decides otherwise.
  const extension = filename.toLowerCase().split('.').pop();
  if (extension === 'csv') return 'csv';
  if (extension === 'json') return 'json';
  if (extension === 'ndjson' || extension === 'jsonl') return 'ndjson';
  return undefined;
}

/** Datasets of the caller's tenant: viewers read, analysts and admins upload and delete. */
@ApiTags('datasets')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/datasets')
export class DatasetController {
  constructor(
    private readonly datasets: DatasetService,
    @Inject(PLATFORM_CONFIG) private readonly config: DatasetConfig,
  ) {}

  @Post()
  @RequireRole('analyst')
  @RouteConfig(STREAM_BODY)
  // The body is a stream the idempotency fingerprint cannot hash; a retried upload is simply
  // a new version (datasets are immutable), never a changed one.
  @NotReplayable()
  @ApiOperation({
    summary: 'Upload a dataset (CSV, JSON, NDJSON, or multipart field "file")',
    description:
      'The body is parsed as a stream; limits MAX_REQUEST_SIZE_MB (413), MAX_DATASET_ROWS (413), MAX_DATASET_COLUMNS (413). Types are inferred per column; statistics and a quality report are computed on the way.',
  })
  @ApiConsumes('text/csv', 'application/json', 'application/x-ndjson', 'multipart/form-data')
  @ApiCreatedResponse({ type: DatasetDto })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UploadDatasetQueryDto,
    @Req() request: FastifyRequest,
  ): Promise<DatasetDto> {
    const maxBytes = Math.floor(this.config.MAX_REQUEST_SIZE_MB * 1024 * 1024);
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    const multipart = mediaType(request.headers['content-type']) === 'multipart/form-data';
    // A declared length over the limit is refused before a byte is read.
    if (declared > maxBytes + (multipart ? MULTIPART_OVERHEAD_BYTES : 0))
      throw tooManyBytes(maxBytes);

    let format: UploadFormat | undefined;
    let body: Readable | undefined;
    if (multipart) {
      const file = await request.file();
      if (file === undefined || file.fieldname !== 'file') {
        throw new ServiceError(
          'VALIDATION_FAILED',
          'The multipart body must carry the dataset in a field named "file".',
          {
            status: 422,
          },
        );
      }
      format = formatOfFile(file.mimetype, file.filename);
      if (format === undefined) {
        file.file.resume();
        throw new ServiceError(
          'UNSUPPORTED_MEDIA_TYPE',
          `The file "${file.filename}" is not CSV, JSON or NDJSON (by its type "${file.mimetype}" or name).`,
        );
      }
      body = file.file;
    } else if (request.uploadContentType !== undefined) {
      format = UPLOAD_FORMATS[request.uploadContentType as keyof typeof UPLOAD_FORMATS];
      body = request.body as Readable;
    }
    if (format === undefined || body === undefined) {
      throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', `A dataset upload must be ${ACCEPTED}.`);
    }
    return this.datasets.upload(principal, {
      name: query.name,
      ...(query.labelColumn === undefined ? {} : { labelColumn: query.labelColumn }),
      format,
      body,
    });
  }

  @Get()
  @ApiOperation({ summary: 'List datasets, oldest first' })
  @ApiPageQuery()
  async list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
  ): Promise<Page<DatasetSummaryDto>> {
    return this.datasets.list(principal.tenantId, page.limit, page.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A dataset: schema, statistics per column, quality report' })
  @ApiOkResponse({ type: DatasetDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('dataset')) id: string,
  ): Promise<DatasetDto> {
    return this.datasets.get(principal.tenantId, id);
  }

  @Get(':id/sample')
  @ApiOperation({ summary: 'The first rows of a dataset (read from storage, checksums verified)' })
  @ApiOkResponse({ type: SampleDto })
  async sample(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('dataset')) id: string,
    @Query() query: SampleQueryDto,
  ): Promise<SampleDto> {
    return this.datasets.sample(
      principal.tenantId,
      id,
      query.rows === undefined ? undefined : Number(query.rows),
    );
  }

  @Get(':id/quality')
  @ApiOperation({ summary: 'The quality report of a dataset' })
  @ApiOkResponse({ type: QualityDto })
  async quality(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('dataset')) id: string,
  ): Promise<QualityDto> {
    return this.datasets.quality(principal.tenantId, id);
  }

  @Delete(':id')
  @RequireRole('analyst')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a dataset and its stored values' })
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('dataset')) id: string,
  ): Promise<void> {
    await this.datasets.delete(principal.tenantId, id);
  }
}
