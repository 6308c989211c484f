import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, RequireRole, ResourceIdPipe } from '@nomaly/platform-nest';
import type { FastifyReply } from 'fastify';
import { TrainRequestDto, type JobDto, type TrainingResult } from './training.dto.js';
import { TrainingService } from './training.service.js';

@ApiTags('training')
@ApiBearerAuth()
@Controller('api/v1')
export class TrainingController {
  constructor(private readonly training: TrainingService) {}

  @Post('detectors/:id/train')
  @RequireRole('analyst')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Train on a dataset: 200 with the model version, or 202 with a job for large data',
  })
  async train(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
    @Body() body: TrainRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrainingResult | (JobDto & { jobId: string })> {
    const outcome = await this.training.train(principal.tenantId, id, {
      datasetId: body.datasetId,
      ...(body.seed === undefined ? {} : { seed: body.seed }),
    });
    if (outcome.sync) return outcome.result;
    void reply.status(HttpStatus.ACCEPTED).header('Location', `/api/v1/jobs/${outcome.job.id}`);
    return { jobId: outcome.job.id, ...outcome.job };
  }

  @Get('jobs/:id')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'State and progress of a job' })
  job(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('job')) id: string,
  ): JobDto {
    return this.training.job(principal.tenantId, id);
  }
}
