import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsOptional } from 'class-validator';

/**
 * `POST /api/v1/detectors/{id}/detect`: rows as arrays in feature order, or records keyed by
 * feature name. The values are checked by the service (row and column named in every error),
 * not by decorators, so a 10,000-row batch is not walked twice.
 */
export class DetectRequestDto {
  @ApiPropertyOptional({ type: 'array', items: { type: 'array', items: { type: 'number' } } })
  @Allow()
  rows?: unknown;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: { type: 'number' } },
  })
  @Allow()
  records?: unknown;

  @ApiPropertyOptional({
    description: 'Per-feature contributions to each score (explainable algorithms)',
  })
  @IsOptional()
  @IsBoolean()
  explain?: boolean;
}

export interface DetectResponse {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { id: string; modelId: string; version: number };
  features: readonly string[];
  explanations?: number[][];
  saved?: number;
}
