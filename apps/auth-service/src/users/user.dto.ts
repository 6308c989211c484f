import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '@nomaly/platform-core';
import { IsBoolean, IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import { RoleList } from './role-list.decorator.js';

export class CreateUserDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;

  @ApiProperty({ description: 'At least 12 characters' })
  @IsString()
  @MaxLength(256)
  password!: string;

  @RoleList({ required: true })
  roles!: Role[];
}

export class UpdateUserDto {
  @RoleList({ required: false })
  roles?: Role[];

  @ApiPropertyOptional({ description: 'A disabled user cannot sign in or refresh' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() tenantId!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty() disabled!: boolean;
  @ApiProperty() createdAt!: string;
}
