import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ServiceError, type Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, RequireRole, ResourceIdPipe } from '@nomaly/platform-nest';
import { ModelDto } from '../models/model.dto.js';
import { ALIASES, type AliasName } from '../persistence/index.js';
import { PromoteDto, ResolvedAliasDto } from './alias.dto.js';
import { AliasService } from './alias.service.js';

/** Champion and challenger: viewers resolve them, admins move them. */
@ApiTags('aliases')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/v1/models/:id')
export class AliasController {
  constructor(private readonly aliases: AliasService) {}

  @Post('promote')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Point an alias at a version, or archive a version',
    description:
      '`alias`: champion (≙ production), challenger (≙ staging) or archived. Promoting the challenger to champion removes its challenger alias. The champion cannot be archived or demoted (409): promote another version first.',
  })
  @ApiOkResponse({ type: ModelDto })
  async promote(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @Body() body: PromoteDto,
  ): Promise<ModelDto> {
    return this.aliases.promote(
      principal.tenantId,
      id,
      body.version,
      body.alias,
      principal.subject,
    );
  }

  @Post('rollback')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Point the champion back at the previous champion',
    description:
      'Champion moves form a stack: successive rollbacks walk further back. 409 when there is no earlier champion.',
  })
  @ApiOkResponse({ type: ModelDto })
  async rollback(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
  ): Promise<ModelDto> {
    return this.aliases.rollback(principal.tenantId, id, principal.subject);
  }

  @Get('aliases/:alias')
  @RequireRole('viewer')
  @ApiParam({ name: 'alias', enum: ALIASES })
  @ApiOperation({ summary: 'The version an alias points at now' })
  @ApiOkResponse({ type: ResolvedAliasDto })
  async resolve(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @Param('alias') alias: string,
  ): Promise<ResolvedAliasDto> {
    if (!(ALIASES as readonly string[]).includes(alias)) {
      throw new ServiceError('NOT_FOUND', `Model ${id} has no alias ${alias.slice(0, 32)}.`);
    }
    return this.aliases.resolve(principal.tenantId, id, alias as AliasName);
  }
}
