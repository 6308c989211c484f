import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { ColumnType } from '../profile/column-profile.js';
import type { QualityReport } from '../storage/dataset-ingest.js';

/** `POST /api/v1/datasets?name=&labelColumn=`: the file itself is the body. */
export class UploadDatasetQueryDto {
  @ApiProperty({
    description: 'Dataset name; uploading the same name again makes the next version',
    example: 'cardio',
  })
  @IsString()
  @Length(1, 200)
  @Matches(/^\P{Cc}+$/u, { message: 'must not contain control characters' })
  name!: string;

  @ApiPropertyOptional({ description: 'The label column, when it is not called "label"' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  labelColumn?: string;
}

/** `GET /api/v1/datasets/{id}/sample?rows=`. */
export class SampleQueryDto {
  @ApiPropertyOptional({
    description: 'Rows from the start of the dataset (default 20, at most MAX_SAMPLE_ROWS)',
  })
  @IsOptional()
  @Matches(/^\d{1,9}$/, { message: 'must be a positive integer' })
  rows?: string;
}

export class ColumnDto {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Position in the file, from 0' }) index!: number;
  @ApiProperty({ enum: ['numeric', 'categorical', 'timestamp'] }) type!: ColumnType;
  @ApiProperty({ enum: ['feature', 'label'] }) role!: 'feature' | 'label';
  @ApiPropertyOptional({ description: 'Why the type was chosen, when it may surprise' })
  note?: string;
  @ApiProperty({ description: 'Present values' }) count!: number;
  @ApiProperty() missing!: number;
  @ApiProperty({ description: 'NaN and ±Infinity values (numeric columns)' }) nonFinite!: number;
  @ApiProperty({ nullable: true, type: Number }) mean!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Sample standard deviation (n − 1)' })
  std!: number | null;
  @ApiProperty({ nullable: true, description: 'A number, or an ISO 8601 instant for timestamps' })
  min!: number | string | null;
  @ApiProperty({ nullable: true, type: Number }) p25!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p50!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p75!: number | null;
  @ApiProperty({ nullable: true }) max!: number | string | null;
  @ApiPropertyOptional({ description: 'Distinct values (categorical columns)' }) unique?: number;
  @ApiPropertyOptional() uniqueExact?: boolean;
  @ApiPropertyOptional({ description: 'Most frequent values (categorical columns)' })
  top?: ReadonlyArray<{ value: string; count: number }>;
}

export class DatasetSummaryDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'Data rows (the header not counted)' }) rows!: number;
  @ApiProperty() columnCount!: number;
  @ApiPropertyOptional() labelColumn?: string;
  @ApiProperty({ description: 'SHA-256 (hex) of the canonical column data' }) checksum!: string;
  @ApiProperty({ enum: ['csv', 'json', 'ndjson'] }) format!: string;
  @ApiProperty({ description: 'Size of the uploaded file in bytes (decoded)' }) bytes!: number;
  @ApiProperty() createdAt!: string;
}

export class DatasetDto extends DatasetSummaryDto {
  @ApiProperty({ type: [ColumnDto] }) columns!: ColumnDto[];
  @ApiProperty({
    description: 'Missing and non-finite values, constant and duplicate columns, duplicate rows',
  })
  quality!: QualityReport;
  @ApiProperty({ description: 'How the values are stored: rows per chunk and chunks per column' })
  storage!: { chunkRows: number; chunks: number };
}

export class QualityDto {
  @ApiProperty() id!: string;
  @ApiProperty() rows!: number;
  @ApiProperty() quality!: QualityReport;
  @ApiProperty({ description: 'Per column: type, missing and non-finite counts' })
  columns!: Array<{
    name: string;
    type: ColumnType;
    missing: number;
    nonFinite: number;
    note?: string;
  }>;
}

export class SampleDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: [String] }) columns!: string[];
  @ApiProperty({
    description:
      'Rows in file order, values typed by column (numbers for numeric columns, strings otherwise, null when missing; "NaN", "Infinity" and "-Infinity" as strings)',
  })
  rows!: Array<Array<number | string | null>>;
}
