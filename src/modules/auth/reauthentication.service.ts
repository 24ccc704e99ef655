import { Injectable } from '@nestjs/common';
import { requireUser } from '../../common/auth/access';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { toUserDto } from '../users/user.mapper';
import { AccessTokenService } from './access-token.service';
import { PasswordProof } from './password-proof.service';
import { RefreshTokensService } from './refresh-tokens.service';
import { SessionDto } from './session.dto';

/**
 * A signed-in person gives the password again (RecentSignIn routes): the caller's login records
 * the time, so its next tokens carry it too, and a new access token says it now. The refresh
 * token (or cookie) is unchanged: only a login that proved the password again gains the time.
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
  ): Promise<SessionDto> {
    const { userId, token } = requireUser(actor, 'agent', 'company_admin', 'finance', 'admin');
    // A token signed before logins were named: the client refreshes (after this 401) and retries.
    const loginId = token?.loginId ?? null;
    if (!loginId) throw loginEnded();
    const { user } = await this.proof.check(userId, password, 'password', deviceOf);
    const login = await this.refreshTokens.reauthenticated(userId, loginId);
    // Signed out (or the password changed) since the token was issued: nothing to renew.
    if (!login) throw loginEnded();
    return {
      accessToken: await this.accessTokens.sign(user, login),
      expiresIn: this.accessTokens.ttlSeconds,
      tokenType: 'Bearer',
      user: toUserDto(user),
    };
  }
}

const loginEnded = () =>
  new DomainError('UNAUTHENTICATED', 'This login has ended or is unknown: sign in again');
