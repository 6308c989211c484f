import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/**
 * `POST /api/v1/auth/token`: an API key, or a user's e-mail and password. Exactly one of the two
 * forms; the controller rejects a mixture.
 */
export class TokenRequestDto {
  @ApiPropertyOptional({ description: 'An API key (`nmly_…`)', example: 'nmly_ab12cd34_…' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  apiKey?: string;

  @ApiPropertyOptional({ description: 'User e-mail (with `password`)' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'User password (with `email`)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password?: string;
}

export class RefreshRequestDto {
  @ApiProperty({ description: 'The refresh token from a previous sign-in (`nmrt_…`)' })
  @IsString()
  @MaxLength(200)
  refreshToken!: string;
}

export class TokenResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
  @ApiPropertyOptional({ description: 'Present for user sign-ins: exchange it at /refresh' })
  refreshToken?: string;
}
