import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import type { AliasName } from '../persistence/index.js';

/**
 * What a promotion may target: the two aliases, the stage names older clients use for them
 * (`production` ≙ champion, `staging` ≙ challenger), and `archived`.
 */
export const PROMOTION_TARGETS = [
  'champion',
  'challenger',
  'production',
  'staging',
  'archived',
] as const;
export type PromotionTarget = (typeof PROMOTION_TARGETS)[number];

/** The alias a stage name stands for; `archived` is not an alias. */
export function aliasOf(target: PromotionTarget): AliasName | 'archived' {
  switch (target) {
    case 'champion':
    case 'production':
      return 'champion';
    case 'challenger':
    case 'staging':
      return 'challenger';
    case 'archived':
      return 'archived';
  }
}

export class PromoteDto {
  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version!: number;

  @ApiProperty({
    enum: PROMOTION_TARGETS,
    description: 'champion (≙ production), challenger (≙ staging), or archived',
  })
  @IsIn(PROMOTION_TARGETS)
  alias!: PromotionTarget;
}

export class ResolvedAliasDto {
  @ApiProperty() modelId!: string;
  @ApiProperty({ enum: ['champion', 'challenger'] }) alias!: AliasName;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'SHA-256 of the artifact bytes' }) sha256!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty() algorithm!: string;
  @ApiProperty({ description: 'When the version was published' }) createdAt!: string;
  @ApiProperty({ description: 'When the alias last moved' }) updatedAt!: string;
}
