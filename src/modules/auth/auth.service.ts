import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { AgentsService } from '../agents/agents.service';
import { CompaniesService } from '../companies/companies.service';
import { EventHub } from '../events/event-hub.service';
import { PasswordHasher } from '../users/password-hasher.service';
import { toUserDto } from '../users/user.mapper';
import { UsersService } from '../users/users.service';
import { LoginSlowdown, slowedDown } from './login-slowdown.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto, RegisterDto, TokensDto } from './auth.dto';
import { UserDto } from '../users/user.dto';
import { IssuedLogin, refreshError, RefreshTokensService } from './refresh-tokens.service';

/** A user as the users module answers it (its entity stays that module's). */
type AccountOf<S extends UsersService> = NonNullable<Awaited<ReturnType<S['findById']>>>;

/** What a sign-in, sign-up or refresh issues: the pair, and who it is for. */
export interface Issued {
  tokens: TokensDto;
  user: UserDto;
}

/** Self-service sign-up and the token lifecycle. Public use cases: no actor yet. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly agents: AgentsService,
    private readonly slowdown: LoginSlowdown,
    private readonly companies: CompaniesService,
    private readonly hub: EventHub,
  ) {}

  async register(input: RegisterDto): Promise<Issued> {
    if (input.role === 'agent' && input.companyName !== undefined) {
      throw DomainError.validation([
        {
          field: 'companyName',
          messages: ['companyName is only accepted with role company_admin'],
        },
      ]);
    }
    // Hash before opening the transaction: argon2 is deliberately slow.
    const passwordHash = await this.hasher.hash(input.password);
    const { user, issued } = await this.db.transaction(async (em) => {
      const companyId =
        input.role === 'company_admin'
          ? await this.companies.create(em, input.companyName!.trim())
          : null;
      const created = await this.users.insert(em, {
        email: input.email,
        passwordHash,
        role: input.role,
        companyId,
      });
      if (created.role === 'agent') await this.agents.createProfile(em, created.id);
      return { user: created, issued: await this.refreshTokens.issue(em, created.id) };
    });
    return this.issued(user, issued);
  }

  /** `device`: a browser that signed in to this account before (LoginDevices), if it is one. */
  async login(input: LoginDto, device: string | null = null): Promise<Issued> {
    // Taken before the password is checked, and counted as a failure until it succeeds.
    const waitMs = await this.slowdown.takeTurn(input.email, device);
    if (waitMs > 0) throw slowedDown(waitMs);
    const found = await this.users.findCredentials(input.email);
    const ok = await this.hasher.verify(found?.passwordHash ?? null, input.password);
    if (!found || !ok) {
      throw new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
    }
    await this.slowdown.succeeded(input.email, device);
    const hash = await this.users.rehashIfStale(found, input.password);
    const issued = await this.db.transaction(async (em) => {
      // The password checked is still the account's: a change (or the CLI's set-password) that
      // committed since the check refuses this login, and one that comes after this read waits
      // for its commit and then ends it. Otherwise a sign-in with the old password, checked
      // just before a change and issued just after, outlived the change's sign-out everywhere.
      if (!(await this.users.passwordStill(em, found.id, hash))) {
        throw new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
      }
      return this.refreshTokens.issue(em, found.id);
    });
    const user = await this.users.findById(found.id);
    if (!user) throw new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
    return this.issued(user, issued);
  }

  async refresh(presented: string): Promise<Issued> {
    const rotation = await this.refreshTokens.rotate(presented);
    // A token used twice: its login is revoked (one copy was stolen), and so are the streams
    // open on it, as at a logout; the thief's access token opens no new one.
    if (rotation.outcome === 'reused') await this.hub.endStreamsOf(rotation.userId);
    if (rotation.outcome !== 'rotated') throw refreshError(rotation.outcome);
    // Role and company are read afresh, so a changed role shows in the next access token.
    const user = await this.users.findById(rotation.userId);
    if (!user) throw refreshError('invalid');
    return this.issued(user, rotation);
  }

  /**
   * Revokes the login, then (after its commit) ends the user's event streams. All of them: a
   * stream does not know which login opened it, and access tokens issued before now open no new
   * stream (EventHub.endedSince); a client of another login refreshes, then reconnects. The
   * revocation's transaction wrote a job that ends them too, should this call never run.
   */
  async logout(presented: string): Promise<void> {
    const userId = await this.refreshTokens.revoke(presented);
    if (userId) await this.hub.endStreamsOf(userId);
  }

  /**
   * The CLI's users:set-password: sets the password of the user with this email and ends every
   * login of the user, in one transaction (a process dying between the two left the logins of a
   * leaked password alive), then its event streams (its access tokens open no new one; REST
   * routes take them until they expire, JWT_ACCESS_TTL_SECONDS). Null when no user has the email.
   */
  async setPasswordEverywhere(
    email: string,
    password: string,
  ): Promise<{ user: AccountOf<UsersService>; ended: number } | null> {
    let ended = 0;
    const user = await this.users.setPassword(email, password, async (em, { id }) => {
      ended = await this.refreshTokens.revokeAllOf(id, em);
    });
    if (!user) return null;
    await this.hub.endStreamsOf(user.id);
    return { user, ended };
  }

  private async issued(
    user: AccountOf<UsersService>,
    { token, login }: IssuedLogin,
  ): Promise<Issued> {
    return {
      user: toUserDto(user),
      tokens: {
        accessToken: await this.accessTokens.sign(user, login),
        refreshToken: token,
        expiresIn: this.accessTokens.ttlSeconds,
        tokenType: 'Bearer',
      },
    };
  }
}
