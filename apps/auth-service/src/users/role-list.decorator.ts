import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES } from '@nomaly/platform-core';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
} from 'class-validator';

/** A DTO field holding roles: one to three distinct known roles. */
export const RoleList = (options: { required: boolean; description?: string }): PropertyDecorator =>
  applyDecorators(
    options.required
      ? ApiProperty({ enum: ROLES, isArray: true, description: options.description })
      : ApiPropertyOptional({ enum: ROLES, isArray: true, description: options.description }),
    ...(options.required ? [] : [IsOptional()]),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(ROLES.length),
    ArrayUnique(),
    IsIn(ROLES, { each: true }),
  );
