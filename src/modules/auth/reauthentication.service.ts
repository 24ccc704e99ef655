import { Injectable } from '@nestjs/common';
import { requireUser } from '../../common/auth/access';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { toUserDto } from '../users/user.mapper';
import { AccessTokenService } from './access-token.service';
import type { Issued } from './auth.service';
import { PasswordProof } from './password-proof.service';
import { RefreshTokensService } from './refresh-tokens.service';

/**
 * A signed-in person gives the password again (RecentSignIn routes): the caller's login is
 * rotated to a refresh token that carries the time, and a new access token says it now. The
 * login's tokens not yet used are spent: a copy taken before gains nothing from the proof.
 */
@Injectable()
export class Reauthentication {
  constructor(
    private readonly proof: PasswordProof,
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenService,
  ) {}

  async confirm(
    actor: Actor,
    password: string,
    deviceOf: (email: string) => string | null,
  ): Promise<Issued> {
    const { userId, token } = requireUser(actor, 'agent', 'company_admin', 'finance', 'admin');
    // A token signed before logins were named: the client refreshes (after this 401) and retries.
    const loginId = token?.loginId ?? null;
    if (!loginId) throw loginEnded();
    const { user } = await this.proof.check(userId, password, 'password', deviceOf);
    const issued = await this.refreshTokens.reauthenticated(userId, loginId);
    // Signed out (or the password changed) since the token was issued: nothing to renew.
    if (!issued) throw loginEnded();
    return {
      user: toUserDto(user),
      tokens: {
        accessToken: await this.accessTokens.sign(user, issued.login),
        refreshToken: issued.token,
        expiresIn: this.accessTokens.ttlSeconds,
        tokenType: 'Bearer',
      },
    };
  }
}

const loginEnded = () =>
  new DomainError('UNAUTHENTICATED', 'This login has ended or is unknown: sign in again');
