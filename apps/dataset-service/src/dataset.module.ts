import { Module } from '@nestjs/common';
import { DatasetController } from './datasets/dataset.controller.js';
import { DatasetService } from './datasets/dataset.service.js';
import { UploadBodySetup } from './datasets/upload-body.js';
import { DatasetGrpcController } from './grpc/dataset.grpc-controller.js';

@Module({
  controllers: [DatasetController, DatasetGrpcController],
  providers: [DatasetService, UploadBodySetup],
})
export class DatasetModule {}
