import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { UsersService } from '../users/users.service';
import { LoginSlowdown, slowedDown } from './login-slowdown.service';

/** A user as the users module answers it (its entity stays that module's). */
type Account = NonNullable<Awaited<ReturnType<UsersService['findById']>>>;

/**
 * A signed-in person gives their password again (to change it, or to reauthenticate): checked as
 * a sign-in is, each wrong one counting in the sign-in slowdown, so a session left open (or a
 * stolen token) cannot guess it faster than a sign-in page could.
 */
@Injectable()
export class PasswordProof {
  constructor(
    private readonly users: UsersService,
    private readonly slowdown: LoginSlowdown,
  ) {}

  /**
   * The account and the hash `password` matched; refused naming `field` when it is not the
   * account's password. `deviceOf`: this browser's own turn in the slowdown (LoginDevices),
   * when it signed in to the account before.
   */
  async check(
    userId: string,
    password: string,
    field: 'password' | 'currentPassword',
    deviceOf: (email: string) => string | null,
  ): Promise<{ user: Account; hash: string }> {
    const user = await this.users.findById(userId);
    // As every other route says it of a token whose account is gone.
    if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    const device = deviceOf(user.email);
    const waitMs = await this.slowdown.takeTurn(user.email, device);
    if (waitMs > 0) throw slowedDown(waitMs);
    const hash = await this.users.matchingHash(userId, password);
    if (!hash) throw wrongPassword(field);
    await this.slowdown.succeeded(user.email, device);
    return { user, hash };
  }
}

/** The field's name begins the message, as every validation message's does. */
export const wrongPassword = (field: 'password' | 'currentPassword') =>
  DomainError.validation([
    {
      field,
      messages: [
        field === 'password'
          ? 'password is incorrect: it is not the password of this account'
          : 'currentPassword is not the password of this account',
      ],
    },
  ]);
