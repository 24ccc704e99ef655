import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { USER_ROLES, UserActor } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';
import { AccessTokenClaims } from './access-token.service';

/**
 * Stateless on purpose: an access token is trusted for its 15 minutes without a database read;
 * sign-out and reuse detection act on the refresh token, which is checked every time.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: ConfigService<Env, true>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.get('JWT_SECRET', { infer: true })!,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessTokenClaims): UserActor | false {
    if (typeof claims.sub !== 'string' || !USER_ROLES.includes(claims.role)) return false;
    return { kind: 'user', userId: claims.sub, role: claims.role, companyId: claims.cid ?? null };
  }
}
