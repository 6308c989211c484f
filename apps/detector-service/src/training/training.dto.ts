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
