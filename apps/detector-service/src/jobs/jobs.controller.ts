import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  RESULTS_DEFAULT_LIMIT,
  RESULTS_MAX_LIMIT,
  type JobDto,
  type JobResultRow,
} from '@nomaly/jobs';
import { parseIdempotencyKey, type Page, type Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  NotReplayable,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import type { FastifyReply } from 'fastify';
import { SubmitJobDto } from './jobs.dto.js';
import { JobsService } from './jobs.service.js';

@ApiTags('jobs')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RequireRole('analyst')
  // The job table keeps the key itself (durable, exact under concurrency): the platform's
  // Redis-held replay must not answer first.
  @NotReplayable()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Submit a train or batch-detect job: 202 with the job and its Location',
    description:
      'With an Idempotency-Key, the same request again answers 200 with the same job; the key with another request is a 422. 503 with Retry-After while the queue (Redis) is unreachable — nothing is created then.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SubmitJobDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('idempotency-key') key?: string,
  ): Promise<JobDto> {
    const { job, created } = await this.jobs.submit(
      principal,
      {
        type: body.type,
        detectorId: body.detectorId.toLowerCase(),
        datasetId: body.datasetId.toLowerCase(),
        ...(body.seed === undefined ? {} : { seed: body.seed }),
      },
      parseIdempotencyKey(key),
    );
    void reply.header('Location', `/api/v1/jobs/${job.id}`);
    if (!created) void reply.status(HttpStatus.OK).header('Idempotent-Replayed', 'true');
    return job;
  }

  @Get()
  @ApiOperation({ summary: 'The tenant’s jobs, oldest first' })
  @ApiPageQuery()
  @ApiQuery({
    name: 'state',
    required: false,
    enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  })
  @ApiQuery({ name: 'type', required: false, enum: ['train', 'detect'] })
  @ApiQuery({ name: 'detectorId', required: false })
  list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
    @Query('state') state?: string,
    @Query('type') type?: string,
    @Query('detectorId') detectorId?: string,
  ): Promise<Page<JobDto>> {
    return this.jobs.list(
      principal.tenantId,
      {
        ...(state === undefined ? {} : { state }),
        ...(type === undefined ? {} : { type }),
        ...(detectorId === undefined ? {} : { detectorId }),
      },
      page,
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, progress, attempts, error and result of a job' })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('job')) id: string,
  ): Promise<JobDto> {
    return this.jobs.get(principal.tenantId, id);
  }

  @Post(':id/cancel')
  @RequireRole('analyst')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a queued or running job (a running one stops at its next chunk)',
  })
  cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('job')) id: string,
  ): Promise<JobDto> {
    return this.jobs.cancel(principal.tenantId, id);
  }

  @Get(':id/results')
  @ApiOperation({ summary: 'A detect job’s scores and labels by row index, in pages' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `Rows per page, 1–${RESULTS_MAX_LIMIT} (default ${RESULTS_DEFAULT_LIMIT}); larger values are clamped`,
  })
  @ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' })
  results(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('job')) id: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<Page<JobResultRow>> {
    return this.jobs.results(principal.tenantId, id, {
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
  }
}
