import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import { CreateModelDto, EdgeListDto, ModelDto } from './model.dto.js';
import { ModelService } from './model.service.js';

/** The caller's models: viewers read, analysts create. */
@ApiTags('models')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/models')
export class ModelController {
  constructor(private readonly models: ModelService) {}

  @Post()
  @RequireRole('analyst')
  @ApiOperation({ summary: 'Register a model (its versions are published separately)' })
  @ApiCreatedResponse({ type: ModelDto })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateModelDto,
  ): Promise<ModelDto> {
    return this.models.create(principal.tenantId, body);
  }

  @Get()
  @ApiPageQuery()
  @ApiOperation({ summary: 'List models, oldest first' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
  ): Promise<Page<ModelDto>> {
    return this.models.list(principal.tenantId, page.limit, page.cursor);
  }

  // Fastify's router tries static segments before parameters, so `edge` never reaches `:id`.
  @Get('edge')
  @ApiOperation({
    summary: 'What edge nodes should run: each model’s champion version and its SHA-256',
  })
  @ApiOkResponse({ type: EdgeListDto })
  async edge(@CurrentPrincipal() principal: Principal): Promise<EdgeListDto> {
    return this.models.edge(principal.tenantId);
  }

  @Get(':id')
  @ApiOkResponse({ type: ModelDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
  ): Promise<ModelDto> {
    return this.models.get(principal.tenantId, id);
  }
}
