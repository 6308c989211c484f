import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class TrainRequestDto {
  @ApiProperty({ description: 'A dataset of the caller’s tenant (dataset-service id)' })
  @IsUUID()
  datasetId!: string;

  @ApiPropertyOptional({
    description: 'Seed of randomized algorithms; the same seed gives the same model',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number;
}

/** What a training produced (the 200 answer, or a job's result). */
export interface TrainingResult {
  modelVersion: { id: string; modelId: string; version: number; sha256: string };
  rows: number;
  features: string[];
  threshold: number;
  durationMs: number;
  metrics?: { rocAuc: number; averagePrecision: number };
}

export type JobState = 'running' | 'succeeded' | 'failed';

export interface JobDto {
  id: string;
  kind: 'train';
  state: JobState;
  detectorId: string;
  datasetId: string;
  progress: { rows: number; totalRows: number };
  result?: TrainingResult;
  error?: { code: string; detail: string };
  createdAt: string;
  updatedAt: string;
}
