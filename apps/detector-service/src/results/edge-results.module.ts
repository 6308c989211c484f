import { Module } from '@nestjs/common';
import { EdgeResultsController } from './edge-results.controller.js';
import { EdgeResultsService } from './edge-results.service.js';

/** `POST|GET /api/v1/results/edge`: what edge agents score, uploaded in idempotent batches. */
@Module({ controllers: [EdgeResultsController], providers: [EdgeResultsService] })
export class EdgeResultsModule {}
