import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALGORITHM_NAMES } from '@nomaly/detection-core';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
} from 'class-validator';

export class CreateDetectorDto {
  @ApiProperty({ example: 'card fraud' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: ALGORITHM_NAMES, description: 'See GET /api/v1/detectors/algorithms' })
  @IsIn(ALGORITHM_NAMES)
  algorithm!: string;

  @ApiPropertyOptional({
    description: "The algorithm's parameters, checked against its JSON Schema",
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      "Expected share of anomalies (0, 0.5], or 'auto' (a shorthand for parameters.contamination)",
    oneOf: [{ type: 'number' }, { type: 'string', enum: ['auto'] }],
  })
  // Checked with the other parameters by the algorithm itself (one rule, one message).
  @Allow()
  contamination?: unknown;

  @ApiPropertyOptional({
    type: [String],
    description: 'Feature columns to train on; default: every numeric column but the label',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsString({ each: true })
  features?: string[];
}

export class DetectorDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() algorithm!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) parameters!: Record<string, unknown>;
  @ApiProperty({ type: [String], nullable: true }) features!: string[] | null;
  @ApiProperty({ nullable: true, type: String }) modelId!: string | null;
  @ApiProperty({ nullable: true, type: Number }) latestVersion!: number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
