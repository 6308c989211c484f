import { Module } from '@nestjs/common';
import { ApiKeyController } from './api-keys/api-key.controller.js';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { AuthGrpcController } from './grpc/auth.grpc-controller.js';
import { TokenController } from './tokens/token.controller.js';
import { TokenService } from './tokens/token.service.js';
import { UserController } from './users/user.controller.js';
import { UserService } from './users/user.service.js';

@Module({
  controllers: [TokenController, ApiKeyController, UserController, AuthGrpcController],
  // SigningKeyService is provided by the platform module (it is also the token key source).
  providers: [TokenService, ApiKeyService, UserService],
})
export class AuthModule {}
