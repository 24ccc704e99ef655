import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { EventHub } from '../events/event-hub.service';
import { PasswordHasher } from '../users/password-hasher.service';
import { UsersService } from '../users/users.service';
import { PasswordProof, wrongPassword } from './password-proof.service';
import { ChangePasswordDto } from './password.dto';
import { RefreshTokensService } from './refresh-tokens.service';

const field = (name: string, message: string) =>
  DomainError.validation([{ field: name, messages: [message] }]);

/**
 * A signed-in person changes their own password (the CLI's users:set-password is for one who
 * lost it). The current password is asked for, so a session left open is not enough to take the
 * account over, and each wrong one counts in the sign-in slowdown as a failed sign-in does.
 */
@Injectable()
export class PasswordChange {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly proof: PasswordProof,
    private readonly refreshTokens: RefreshTokensService,
    private readonly hub: EventHub,
  ) {}

  /**
   * Sets the new password and ends every login of the account, this one included, with its
   * event streams: whoever else held one (the reason to change a password) must sign in with the
   * new one. Access tokens already issued still pass REST routes until they expire
   * (JWT_ACCESS_TTL_SECONDS), as after a sign-out everywhere. `deviceOf`: this browser's own
   * turn in the sign-in slowdown (LoginDevices), when it signed in to the account before.
   */
  async change(
    actor: Actor,
    input: ChangePasswordDto,
    deviceOf: (email: string) => string | null,
  ): Promise<void> {
    const { userId } = requireUser(actor, 'agent', 'company_admin', 'finance', 'admin');
    if (input.newPassword === input.currentPassword) {
      throw field('newPassword', 'newPassword must differ from the current password');
    }
    let known: string | null = (
      await this.proof.check(userId, input.currentPassword, 'currentPassword', deviceOf)
    ).hash;
    // Hashed before the transaction: argon2 is deliberately slow.
    const hash = await this.hasher.hash(input.newPassword);
    for (let attempt = 1; ; attempt++) {
      const changed = await this.db.transaction(async (em) => {
        // Over the hash just checked: a password set meanwhile (another tab, the CLI) is not
        // overwritten by a change that knew only the old one.
        if (!(await this.users.replacePasswordHash(em, userId, hash, known!))) return false;
        await this.refreshTokens.revokeAllOf(userId, em);
        return true;
      });
      if (changed) break;
      // Another hash since the check. A sign-in may have rehashed the same password (new
      // argon2 settings; its salt differs): checked against the hash stored now, the change
      // goes on. A new password set meanwhile refuses it.
      if (attempt === 3) {
        // Rehashed again and again (processes with different ARGON2_* settings during a
        // rolling change): nothing says the password was wrong, so say to try again.
        throw new DomainError('CONFLICT', 'The password was being rehashed: try again');
      }
      known = await this.users.matchingHash(userId, input.currentPassword);
      if (!known) throw wrongPassword('currentPassword');
    }
    await this.hub.endStreamsOf(userId);
  }
}
