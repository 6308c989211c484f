import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/**
 * `POST /api/v1/results/edge`. The results are checked by the service (every problem named by
 * its path, `results[3].scores[7]`), not by decorators, so a 10,000-row batch is walked once.
 */
export class EdgeUploadDto {
  @ApiProperty({ description: 'The uploading agent (its EDGE_AGENT_ID)', example: 'store-0042' })
  @Allow()
  agentId?: unknown;

  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      required: [
        'id',
        'detectorId',
        'modelId',
        'modelVersion',
        'scoredAt',
        'scores',
        'labels',
        'threshold',
      ],
      properties: {
        id: {
          type: 'string',
          format: 'uuid',
          description: 'Made by the agent; the idempotency key',
        },
        detectorId: { type: 'string', format: 'uuid' },
        modelId: { type: 'string', format: 'uuid' },
        modelVersion: { type: 'integer', minimum: 1 },
        scoredAt: { type: 'string', format: 'date-time' },
        scores: { type: 'array', items: { type: 'number' } },
        labels: { type: 'array', items: { type: 'integer', enum: [0, 1] } },
        threshold: { type: 'number' },
      },
    },
  })
  @Allow()
  results?: unknown;
}
