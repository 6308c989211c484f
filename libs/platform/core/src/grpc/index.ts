export {
  fromGrpcError,
  GrpcServiceClient,
  type GrpcCallContext,
  type GrpcClientOptions,
} from './grpc-client.js';
