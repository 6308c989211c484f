import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DatasetClient, ModelClient } from '@nomaly/detector-runtime';
import { Resilience } from '@nomaly/platform-core';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import type { DetectorConfig } from './config.js';
import { DetectionController } from './detection/detection.controller.js';
import { DetectionService } from './detection/detection.service.js';
import { ProtobufDetectBody } from './detection/protobuf-body.js';
import { DetectorController } from './detectors/detector.controller.js';
import { DetectorService } from './detectors/detector.service.js';
import { JobQueueConnection } from './jobs/job-queue-connection.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { EdgeResultsModule } from './results/edge-results.module.js';
import { ResultsController } from './results/results.controller.js';
import { ResultsService } from './results/results.service.js';
import { TrainingController } from './training/training.controller.js';
import { TrainingService } from './training/training.service.js';

/** Closes the gRPC channels to the dataset and model services once requests have drained. */
@Injectable()
class UpstreamShutdown implements OnApplicationShutdown {
  constructor(
    private readonly datasets: DatasetClient,
    private readonly models: ModelClient,
  ) {}

  onApplicationShutdown(): void {
    this.datasets.close();
    this.models.close();
  }
}

@Module({
  imports: [EdgeResultsModule],
  controllers: [
    DetectorController,
    TrainingController,
    DetectionController,
    ResultsController,
    JobsController,
  ],
  providers: [
    {
      provide: DatasetClient,
      inject: [PLATFORM_CONFIG, Resilience],
      useFactory: (config: DetectorConfig, resilience: Resilience) =>
        new DatasetClient({ address: config.DATASET_SERVICE_GRPC_URL, resilience }),
    },
    {
      provide: ModelClient,
      inject: [PLATFORM_CONFIG, Resilience],
      useFactory: (config: DetectorConfig, resilience: Resilience) =>
        new ModelClient({ address: config.MODEL_SERVICE_GRPC_URL, resilience }),
    },
    UpstreamShutdown,
    DetectorService,
    TrainingService,
    DetectionService,
    ProtobufDetectBody,
    ResultsService,
    JobQueueConnection,
    JobsService,
  ],
})
export class DetectorModule {}
