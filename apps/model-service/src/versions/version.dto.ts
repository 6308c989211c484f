import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type {
  AliasName,
  Lineage,
  TrainingStatistics,
  VersionMetrics,
} from '../persistence/index.js';

export class MetricsDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  rocAuc?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  averagePrecision?: number;
}

export class LineageDto {
  @ApiPropertyOptional({ description: 'The dataset-service id of the training data' })
  @IsOptional()
  @IsUUID()
  datasetId?: string;

  @ApiPropertyOptional({ description: 'The checksum the dataset-service reports for it' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  datasetChecksum?: string;

  @ApiPropertyOptional({ description: 'The detector-service id of the trained detector' })
  @IsOptional()
  @IsUUID()
  detectorId?: string;

  @ApiPropertyOptional({ example: 'detection-core 0.1.0' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  codeVersion?: string;
}

export class PublishVersionDto {
  @ApiProperty({
    description:
      'A `nomaly.detector` model document (formatVersion 1) as detection-core’s `toJSON()` writes it; it is loaded before anything is stored, so a tampered or unknown document is refused (422)',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  document!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'How long training took, in milliseconds' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  trainingDurationMs?: number;

  @ApiPropertyOptional({ type: MetricsDto, description: 'When the training data had labels' })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetricsDto)
  metrics?: MetricsDto;

  @ApiPropertyOptional({ type: LineageDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LineageDto)
  lineage?: LineageDto;
}

export const STAGES = ['production', 'staging', 'archived', 'none'] as const;
export type Stage = (typeof STAGES)[number];

export class VersionDto {
  @ApiProperty() id!: string;
  @ApiProperty() modelId!: string;
  @ApiProperty({ description: '1, 2, … in publication order' }) version!: number;
  @ApiProperty() algorithm!: string;
  @ApiProperty({ example: 'nomaly.detector' }) format!: string;
  @ApiProperty({ example: 1 }) formatVersion!: number;
  @ApiProperty({ description: 'SHA-256 of the artifact bytes' }) sha256!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) parameters!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{scoreSummary, threshold, rows, durationMs, anomalyRate}',
  })
  training!: TrainingStatistics;
  @ApiProperty({ nullable: true, type: MetricsDto }) metrics!: VersionMetrics | null;
  @ApiProperty({ type: LineageDto }) lineage!: Lineage;
  @ApiProperty({ enum: ['champion', 'challenger'], isArray: true }) aliases!: AliasName[];
  @ApiProperty({
    enum: STAGES,
    description: 'production ≙ champion, staging ≙ challenger, archived, or none',
  })
  stage!: Stage;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) archivedAt!: string | null;
}
