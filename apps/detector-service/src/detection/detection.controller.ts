import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { hasRole, ServiceError, type Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, RequireRole, ResourceIdPipe } from '@nomaly/platform-nest';
import type { FastifyReply } from 'fastify';
import { DetectRequestDto, type DetectResponse } from './detection.dto.js';
import { encodeDetectResponse, PROTOBUF } from './protobuf-body.js';
import { DetectionService } from './detection.service.js';

@ApiTags('detection')
@ApiBearerAuth()
@Controller('api/v1/detectors')
export class DetectionController {
  constructor(private readonly detection: DetectionService) {}

  @Post(':id/detect')
  @RequireRole('viewer')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Score rows with the detector’s current model',
    description:
      'JSON, or a nomaly.detector.v1.DetectRequest with Content-Type application/x-protobuf; Accept: application/x-protobuf answers a DetectResponse.',
  })
  @ApiQuery({ name: 'save', required: false, description: 'true: store the results (analyst)' })
  async detect(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
    @Body() body: DetectRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('save') save?: string,
    @Headers('accept') accept?: string,
  ): Promise<DetectResponse | Buffer> {
    if (save !== undefined && save !== 'true' && save !== 'false') {
      throw new ServiceError('VALIDATION_FAILED', `save must be true or false, got "${save}".`);
    }
    const saving = save === 'true';
    if (saving && !hasRole(principal, 'analyst')) {
      throw new ServiceError(
        'FORBIDDEN',
        'Storing results (save=true) requires the "analyst" role.',
      );
    }
    const result = await this.detection.detect(principal.tenantId, id, body, saving);
    if (accept?.includes(PROTOBUF) !== true) return result;
    void reply.header('Content-Type', PROTOBUF);
    return encodeDetectResponse(result);
  }
}
