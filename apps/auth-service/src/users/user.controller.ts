import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import { CreateUserDto, UpdateUserDto, UserDto } from './user.dto.js';
import { UserService } from './user.service.js';

/** Users of the caller's tenant: admin only. */
@ApiTags('users')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/v1/auth/users')
export class UserController {
  constructor(private readonly users: UserService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user in the caller’s tenant' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateUserDto,
  ): Promise<UserDto> {
    return this.users.create(principal.tenantId, body);
  }

  @Get()
  @ApiPageQuery()
  async list(
    @CurrentPrincipal() principal: Principal,
    @PageParams() page: PageRequest,
  ): Promise<Page<UserDto>> {
    return this.users.list(principal.tenantId, page.limit, page.cursor);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user’s roles or disable them' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('user')) id: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.update(principal.tenantId, id, body);
  }
}
