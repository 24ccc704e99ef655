import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { UserRole } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';

export interface AccessTokenClaims {
  sub: string;
  role: UserRole;
  /** Company id for company admins. */
  cid: string | null;
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

  sign(user: { id: string; role: UserRole; companyId: string | null }): Promise<string> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, cid: user.companyId };
    return this.jwt.signAsync(claims, { expiresIn: this.ttlSeconds });
  }
}
