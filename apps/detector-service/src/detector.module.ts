import { Module } from '@nestjs/common';
import { DatasetClient, ModelClient } from './clients/upstream.clients.js';
import { DetectionController } from './detection/detection.controller.js';
import { DetectionService } from './detection/detection.service.js';
import { ProtobufDetectBody } from './detection/protobuf-body.js';
import { DetectorController } from './detectors/detector.controller.js';
import { DetectorService } from './detectors/detector.service.js';
import { ResultsController } from './results/results.controller.js';
import { ResultsService } from './results/results.service.js';
import { TrainingController } from './training/training.controller.js';
import { TrainingService } from './training/training.service.js';

@Module({
  controllers: [DetectorController, TrainingController, DetectionController, ResultsController],
  providers: [
    DatasetClient,
    ModelClient,
    DetectorService,
    TrainingService,
    DetectionService,
    ProtobufDetectBody,
    ResultsService,
  ],
})
export class DetectorModule {}
