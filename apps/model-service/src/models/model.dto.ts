import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALGORITHM_NAMES } from '@nomaly/detection-core';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

/**
 * Algorithms a model can hold. `auto` is a training-time choice that produces an ensemble, never
 * an algorithm a document records.
 */
export const MODEL_ALGORITHMS = ALGORITHM_NAMES.filter((name) => name !== 'auto');

export class CreateModelDto {
  @ApiProperty({ description: 'Unique within the tenant', example: 'card-fraud' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: MODEL_ALGORITHMS, description: 'Every version must hold this algorithm' })
  @IsIn(MODEL_ALGORITHMS)
  algorithm!: string;

  @ApiPropertyOptional({ description: 'The detector whose trainings produce the versions' })
  @IsOptional()
  @IsUUID()
  detectorId?: string;
}

export class ModelDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() algorithm!: string;
  @ApiProperty({ nullable: true, type: String }) detectorId!: string | null;
  @ApiProperty({ description: 'Number of the newest version; 0 before the first' })
  latestVersion!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Version the champion alias points at',
  })
  champion!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Version the challenger alias points at',
  })
  challenger!: number | null;
  @ApiProperty() createdAt!: string;
}

/** What an edge node should run for one model: compare `version` and `sha256` with what it has. */
export class EdgeModelDto {
  @ApiProperty() modelId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The champion version' }) version!: number;
  @ApiProperty({ description: 'SHA-256 of the artifact bytes' }) sha256!: string;
  @ApiProperty() algorithm!: string;
  @ApiProperty({ description: 'When the champion alias last moved' }) updatedAt!: string;
}

export class EdgeListDto {
  @ApiProperty({ type: [EdgeModelDto] }) items!: EdgeModelDto[];
}
