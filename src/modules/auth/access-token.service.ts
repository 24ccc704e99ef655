import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { UserRole } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';
import type { LoginProof } from './refresh-tokens.service';

export interface AccessTokenClaims {
  sub: string;
  role: UserRole;
  /** Company id for company admins. */
  cid: string | null;
  /** The login (refresh token family) the token was issued to: a reauthentication names it. */
  sid: string;
  /** When that login last proved the password, in epoch seconds (OpenID Connect's name). */
  auth_time: number;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: ConfigService<Env, true>,
  ) {}

  get ttlSeconds(): number {
    return this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
  }

  sign(
    user: { id: string; role: UserRole; companyId: string | null },
    login: LoginProof,
  ): Promise<string> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      role: user.role,
      cid: user.companyId,
      sid: login.id,
      auth_time: Math.floor(login.authenticatedAt.getTime() / 1000),
    };
    return this.jwt.signAsync(claims, { expiresIn: this.ttlSeconds });
  }
}
