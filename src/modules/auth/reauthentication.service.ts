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
 * A signed-in person gives the password again (RecentSignIn routes): the caller's login gets a
 * refresh token that carries the time (RefreshTokensService.reauthenticated), and a new access
 * token says it now.
 */
@Injectable()
export class Reauthentication {
  constructor(
    private readonly proof: PasswordProof,
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenService,
  ) {}

  /** `presented`: the console's cookie, which must be of the access token's login. */
  async confirm(
    actor: Actor,
    password: string,
    deviceOf: (email: string) => string | null,
    presented?: string,
  ): Promise<Issued> {
    const { userId, token } = requireUser(actor, 'agent', 'company_admin', 'finance', 'admin');
    // A token signed before logins were named: the client refreshes (after this 401) and retries.
    const loginId = token?.loginId ?? null;
    if (!loginId) throw loginEnded();
    const { user } = await this.proof.check(userId, password, 'password', deviceOf);
    const issued = await this.refreshTokens.reauthenticated(userId, loginId, presented);
    // Signed out (or the password changed) since the token was issued, or this browser's cookie
    // is another login's (another tab signed in since): nothing to renew here.
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
