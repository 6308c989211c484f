import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { listAlgorithms, type AlgorithmInfo } from '@nomaly/detection-core';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import { CreateDetectorDto, DetectorDto } from './detector.dto.js';
import { DetectorService, toDetectorDto } from './detector.service.js';

/** The algorithm catalogue never changes while the process runs. */
const ALGORITHMS = listAlgorithms();

@ApiTags('detectors')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/detectors')
export class DetectorController {
  constructor(private readonly detectors: DetectorService) {}

  @Get('algorithms')
  @ApiOperation({ summary: 'Every algorithm with the JSON Schema of its parameters and defaults' })
  algorithms(): AlgorithmInfo[] {
    return ALGORITHMS;
  }

  @Post()
  @RequireRole('analyst')
  @ApiOperation({ summary: 'Create a detector (parameters validated against the algorithm)' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateDetectorDto,
  ): Promise<DetectorDto> {
    return this.detectors.create(principal.tenantId, body);
  }

  @Get()
  @ApiPageQuery()
  list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
  ): Promise<Page<DetectorDto>> {
    return this.detectors.list(principal.tenantId, page.limit, page.cursor);
  }

  @Get(':id')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
  ): Promise<DetectorDto> {
    return toDetectorDto(await this.detectors.get(principal.tenantId, id));
  }

  @Delete(':id')
  @RequireRole('analyst')
  @HttpCode(HttpStatus.NO_CONTENT)
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('detector')) id: string,
  ): Promise<void> {
    await this.detectors.delete(principal.tenantId, id);
  }
}
