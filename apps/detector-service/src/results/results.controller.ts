import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  type PageRequest,
} from '@nomaly/platform-nest';
import {
  parseDetectorFilter,
  parseInstant,
  ResultsService,
  type DetectionResultDto,
} from './results.service.js';

@ApiTags('results')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/results')
export class ResultsController {
  constructor(private readonly results: ResultsService) {}

  @Get()
  @ApiOperation({ summary: 'Stored detection results, oldest first' })
  @ApiQuery({ name: 'detectorId', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601 instant' })
  @ApiPageQuery()
  list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
    @Query('detectorId') detectorId?: string,
    @Query('since') since?: string,
  ): Promise<Page<DetectionResultDto>> {
    const filter = {
      ...optional('detectorId', parseDetectorFilter(detectorId)),
      ...optional('since', parseInstant(since, 'since')),
    };
    return this.results.list(principal.tenantId, filter, page.limit, page.cursor);
  }

  @Get('since/:timestamp')
  @ApiOperation({ summary: 'Stored detection results since an instant' })
  @ApiPageQuery()
  since(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
    @Param('timestamp') timestamp: string,
  ): Promise<Page<DetectionResultDto>> {
    const since = parseInstant(timestamp, 'timestamp');
    return this.results.list(principal.tenantId, optional('since', since), page.limit, page.cursor);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
