import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/decorators';
import { RateLimit } from '../../common/http/rate-limit';
import { ApiErrors } from '../../common/http/api-errors';
import { LoginDto, RefreshDto, RegisterDto, RegisteredDto, TokensDto } from './auth.dto';
import { AuthService } from './auth.service';
import { NoStore } from '../../common/http/no-store';

@ApiTags('auth')
@Controller('v1/auth')
@Public()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Signs up an agent, or a company admin together with a new company. */
  @Post('register')
  @NoStore()
  @RateLimit('auth')
  @ApiOperation({ operationId: 'register', summary: 'Sign up' })
  @ApiErrors('EMAIL_TAKEN')
  async register(@Body() body: RegisterDto): Promise<RegisteredDto> {
    const { user, tokens } = await this.auth.register(body);
    return { user, ...tokens };
  }

  /** Exchanges email and password for an access token (15 min) and a refresh token. */
  @Post('login')
  @NoStore()
  @HttpCode(200)
  @RateLimit('auth')
  @ApiOperation({ operationId: 'login', summary: 'Sign in' })
  @ApiErrors('INVALID_CREDENTIALS')
  async login(@Body() body: LoginDto): Promise<TokensDto> {
    return (await this.auth.login(body)).tokens;
  }

  /** Spends a refresh token for a new pair. Reusing a spent one signs out the whole login. */
  @Post('refresh')
  @NoStore()
  @HttpCode(200)
  @RateLimit('auth')
  @ApiOperation({ operationId: 'refreshTokens', summary: 'Refresh the tokens' })
  @ApiErrors('INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED')
  async refresh(@Body() body: RefreshDto): Promise<TokensDto> {
    return (await this.auth.refresh(body.refreshToken)).tokens;
  }

  /** Revokes the refresh token and every token rotated from the same login. Always 204. */
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ operationId: 'logout', summary: 'Sign out' })
  async logout(@Body() body: RefreshDto): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }
}
