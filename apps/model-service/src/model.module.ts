import { Module } from '@nestjs/common';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import { AliasController } from './aliases/alias.controller.js';
import { AliasService } from './aliases/alias.service.js';
import { ArtifactCache } from './artifacts/artifact-cache.js';
import type { ModelConfig } from './config.js';
import { ModelGrpcController } from './grpc/model.grpc-controller.js';
import { ModelAccuracyMetrics } from './models/model-accuracy.metrics.js';
import { ModelController } from './models/model.controller.js';
import { ModelService } from './models/model.service.js';
import { VersionController } from './versions/version.controller.js';
import { VersionService } from './versions/version.service.js';

@Module({
  controllers: [ModelController, VersionController, AliasController, ModelGrpcController],
  providers: [
    ModelService,
    VersionService,
    AliasService,
    ModelAccuracyMetrics,
    {
      provide: ArtifactCache,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: ModelConfig) =>
        new ArtifactCache(config.MODEL_ARTIFACT_CACHE_MB * 1024 * 1024),
    },
  ],
})
export class ModelModule {}
