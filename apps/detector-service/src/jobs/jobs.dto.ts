import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_TYPES, type JobType } from '@nomaly/jobs';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class SubmitJobDto {
  @ApiProperty({
    enum: JOB_TYPES,
    description:
      'train: fit the detector on the dataset and publish a model version; detect: score every row of the dataset with the detector’s current model',
  })
  @IsIn(JOB_TYPES)
  type!: JobType;

  @ApiProperty({ description: 'A detector of the caller’s tenant' })
  @IsUUID()
  detectorId!: string;

  @ApiProperty({ description: 'A dataset of the caller’s tenant (dataset-service id)' })
  @IsUUID()
  datasetId!: string;

  @ApiPropertyOptional({ description: 'train only: seed of randomized algorithms' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number;
}
