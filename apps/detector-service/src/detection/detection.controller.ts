import { Body, Controller, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { hasRole, ServiceError, type Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, RequireRole, ResourceIdPipe } from '@nomaly/platform-nest';
import { DetectRequestDto, type DetectResponse } from './detection.dto.js';
import { DetectionService } from './detection.service.js';

@ApiTags('detection')
@ApiBearerAuth()
@Controller('api/v1/detectors')
export class DetectionController {
  constructor(private readonly detection: DetectionService) {}

  @Post(':id/detect')
  @RequireRole('viewer')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Score rows with the detector’s current model' })
  @ApiQuery({ name: 'save', required: false, description: 'true: store the results (analyst)' })
  async detect(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
    @Body() body: DetectRequestDto,
    @Query('save') save?: string,
  ): Promise<DetectResponse> {
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
    return this.detection.detect(principal.tenantId, id, body, saving);
  }
}
