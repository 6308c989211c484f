import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceError, type Principal } from '@nomaly/platform-core';
import { CurrentPrincipal, Public, SkipRateLimit } from '@nomaly/platform-nest';
import type { JSONWebKeySet } from 'jose';
import { SigningKeyService } from '../signing-keys/signing-key.service.js';
import { RefreshRequestDto, TokenRequestDto, TokenResponseDto } from './token.dto.js';
import { TokenService } from './token.service.js';

@ApiTags('auth')
@Controller()
export class TokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly signingKeys: SigningKeyService,
  ) {}

  @Public()
  @Post('api/v1/auth/token')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange an API key, or an e-mail and password, for an access token' })
  @ApiOkResponse({ type: TokenResponseDto })
  async token(@Body() body: TokenRequestDto): Promise<TokenResponseDto> {
    const byKey = body.apiKey !== undefined;
    const byPassword = body.email !== undefined || body.password !== undefined;
    if (byKey === byPassword) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        'Send either "apiKey", or "email" and "password".',
      );
    }
    if (body.apiKey !== undefined) return this.tokens.exchangeApiKey(body.apiKey);
    if (body.email === undefined || body.password === undefined) {
      throw new ServiceError('VALIDATION_FAILED', '"email" and "password" go together.');
    }
    return this.tokens.login(body.email, body.password);
  }

  @Public()
  @Post('api/v1/auth/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange a refresh token (single use) for new tokens' })
  @ApiOkResponse({ type: TokenResponseDto })
  async refresh(@Body() body: RefreshRequestDto): Promise<TokenResponseDto> {
    return this.tokens.refresh(body.refreshToken);
  }

  @Get('api/v1/auth/me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the access token speaks for' })
  me(@CurrentPrincipal() principal: Principal): ReturnType<TokenService['describe']> {
    return this.tokens.describe(principal);
  }

  /** Verifiers in the cluster fetch this; it is also routed at /api/v1/auth/jwks.json. */
  @Public()
  @SkipRateLimit()
  @Get(['.well-known/jwks.json', 'api/v1/auth/jwks.json'])
  @ApiOperation({ summary: 'Public keys that verify access tokens (JWKS)' })
  async jwks(): Promise<JSONWebKeySet> {
    return this.signingKeys.jwks();
  }
}
