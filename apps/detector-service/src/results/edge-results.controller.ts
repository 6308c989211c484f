import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ServiceError, type Page, type Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  type PageRequest,
} from '@nomaly/platform-nest';
import { EdgeUploadDto } from './edge-results.dto.js';
import {
  EdgeResultsService,
  type EdgeResultDto,
  type EdgeUploadReceipt,
} from './edge-results.service.js';
import { EDGE_UPLOAD_MAX_RESULTS } from './edge-upload.js';
import { parseDetectorFilter } from './results.service.js';

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Results scored by edge agents. Uploading needs `analyst` (the role that stores results
 * centrally, as `detect?save=true` does; the auth model has no edge-specific role): give each
 * agent an API key of its own with that role.
 */
@ApiTags('results')
@ApiBearerAuth()
@Controller('api/v1/results/edge')
export class EdgeResultsController {
  constructor(private readonly results: EdgeResultsService) {}

  @Post()
  @RequireRole('analyst')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Upload a batch of results scored at the edge (idempotent by result id)',
    description: `At most ${EDGE_UPLOAD_MAX_RESULTS} results and MAX_DETECTION_BATCH_SIZE rows in all. A batch is stored whole or not at all; an id already held stores nothing again. The answer lists every id of the batch central now holds (accepted now, or duplicates), so the agent may delete exactly those. A detector the tenant does not have, or a model that is not the detector's, answers 422 naming each result.`,
  })
  @ApiBody({ type: EdgeUploadDto })
  upload(
    @CurrentPrincipal() principal: Principal,
    @Body() body: EdgeUploadDto,
  ): Promise<EdgeUploadReceipt> {
    return this.results.store(principal.tenantId, body);
  }

  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Results uploaded by edge agents, in the order central received them' })
  @ApiQuery({ name: 'agentId', required: false })
  @ApiQuery({ name: 'detectorId', required: false })
  @ApiPageQuery()
  list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
    @Query('agentId') agentId?: string,
    @Query('detectorId') detectorId?: string,
  ): Promise<Page<EdgeResultDto>> {
    if (agentId !== undefined && !AGENT_ID.test(agentId)) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `agentId must be 1-128 letters, digits, dots, dashes, underscores or colons, got "${agentId.slice(0, 64)}".`,
      );
    }
    const detector = parseDetectorFilter(detectorId);
    return this.results.list(
      principal.tenantId,
      {
        ...(agentId === undefined ? {} : { agentId }),
        ...(detector === undefined ? {} : { detectorId: detector.toLowerCase() }),
      },
      page.limit,
      page.cursor,
    );
  }
}
