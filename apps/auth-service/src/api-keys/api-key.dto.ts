import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '@nomaly/platform-core';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { RoleList } from '../users/role-list.decorator.js';

export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for', example: 'ingest pipeline' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @RoleList({ required: false, description: 'Default: ["analyst"]' })
  roles?: Role[];

  @ApiPropertyOptional({ description: 'ISO 8601 instant after which the key stops working' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The visible start of the key, to tell keys apart' }) prefix!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown once, never stored; keep it secret' })
  key!: string;
}
