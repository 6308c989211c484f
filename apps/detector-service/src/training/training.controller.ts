import { Body, Controller, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TrainingResult } from '@nomaly/detector-runtime';
import type { JobDto } from '@nomaly/jobs';
import type { Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, RequireRole, ResourceIdPipe } from '@nomaly/platform-nest';
import type { FastifyReply } from 'fastify';
import { TrainRequestDto } from './training.dto.js';
import { TrainingService } from './training.service.js';

@ApiTags('training')
@ApiBearerAuth()
@Controller('api/v1/detectors')
export class TrainingController {
  constructor(private readonly training: TrainingService) {}

  @Post(':id/train')
  @RequireRole('analyst')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Train on a dataset: 200 with the model version, or 202 with a durable train job for large data',
  })
  async train(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
    @Body() body: TrainRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrainingResult | (JobDto & { jobId: string })> {
    const outcome = await this.training.train(principal, id, {
      datasetId: body.datasetId.toLowerCase(),
      ...(body.seed === undefined ? {} : { seed: body.seed }),
    });
    if (outcome.sync) return outcome.result;
    void reply.status(HttpStatus.ACCEPTED).header('Location', `/api/v1/jobs/${outcome.job.id}`);
    return { jobId: outcome.job.id, ...outcome.job };
  }
}
