import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  NotReplayable,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto.js';
import { ApiKeyService } from './api-key.service.js';

/** API keys of the caller's tenant; managing them is for admins. */
@ApiTags('api-keys')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/v1/auth/api-keys')
export class ApiKeyController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @NotReplayable()
  @ApiOperation({
    summary: 'Create an API key (the key is in this response only)',
    description:
      'Idempotency-Key is not honoured: the response holds a secret that is never stored.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(
      principal.tenantId,
      body,
      principal.kind === 'user' ? principal.subject : null,
    );
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never the keys themselves)' })
  @ApiPageQuery()
  async list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
  ): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(principal.tenantId, page.limit, page.cursor);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an API key; tokens already issued expire on their own' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('API key')) id: string,
  ): Promise<void> {
    await this.apiKeys.revoke(principal, id);
  }
}
