import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, UserRole } from '../../common/auth/actor';
import { requireUser } from '../../common/auth/access';
import { DomainError } from '../../common/errors/domain-error';
import { CompaniesService } from '../companies/companies.service';
import { PasswordHasher } from './password-hasher.service';
import { MeDto, UserDto } from './user.dto';
import { User } from './user.entity';
import { toMeDto, toUserDto } from './user.mapper';
import { UsersRepository } from './users.repository';

export interface NewUser {
  email: string;
  passwordHash: string;
  role: UserRole;
  companyId: string | null;
}

export interface Credentials {
  id: string;
  role: UserRole;
  companyId: string | null;
  passwordHash: string;
}

export const STAFF_ROLES = ['finance', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * As stored and looked up: lower case, and composed (NFC): "é" typed as e and a combining accent
 * is the same address as "é", not a second account that looks like it.
 */
export const normalizeEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly users: UsersRepository,
    private readonly companies: CompaniesService,
  ) {}

  /** Inserts within the caller's transaction; uq_users_email turns a duplicate into EMAIL_TAKEN. */
  insert(em: EntityManager, user: NewUser): Promise<User> {
    return this.users.insert(em, { ...user, email: normalizeEmail(user.email) });
  }

  async findCredentials(email: string): Promise<Credentials | null> {
    return this.users.withPasswordHashByEmail(this.db.manager, normalizeEmail(email));
  }

  /**
   * After a sign-in whose password checked out: a hash made with older argon2 settings is made
   * again with today's, from the password just given (the only moment it is known). Returns the
   * hash the password now matches: the new one, else the one it was checked against.
   */
  async rehashIfStale(user: Credentials, password: string): Promise<string> {
    if (!user.passwordHash || !this.hasher.isStale(user.passwordHash)) return user.passwordHash;
    try {
      // Only over the hash the password was checked against: one set meanwhile (a new password
      // from the CLI) is not overwritten with the old password's.
      const hash = await this.hasher.hash(password);
      if (await this.users.setPasswordHash(this.db.manager, user.id, hash, user.passwordHash)) {
        return hash;
      }
      // Another hash since the check: a sign-in beside this one rehashed the same password
      // (its salt differs), or a new password was set. The one stored now, if this password
      // is its password.
      return (await this.matchingHash(user.id, password)) ?? user.passwordHash;
    } catch (e) {
      // The sign-in stands: the next one tries again.
      this.logger.warn({ err: e, userId: user.id }, 'password not rehashed; next sign-in');
      return user.passwordHash;
    }
  }

  /**
   * The hash stored for the user now when `password` is its password, else null (an unknown
   * user costs a check against the decoy, as a sign-in does).
   */
  async matchingHash(id: string, password: string): Promise<string | null> {
    const hash = await this.users.passwordHashOf(this.db.manager, id);
    return (await this.hasher.verify(hash, password)) ? hash : null;
  }

  /**
   * Whether the user's password is still the one whose hash a sign-in checked, under a share
   * lock until the caller's commit (AuthService.login: a login must not outlive a password
   * change that began after its check).
   */
  passwordStill(em: EntityManager, id: string, hash: string): Promise<boolean> {
    return this.users.hashStill(em, id, hash);
  }

  /**
   * Sets the password of the user with this email (an operator's CLI, for a user who lost it or
   * whose password leaked); null when no user has it. `alongside` runs in the same transaction
   * (the end of the user's logins: both commit, or neither).
   */
  async setPassword(
    email: string,
    password: string,
    alongside: (em: EntityManager, user: User) => Promise<unknown> = async () => undefined,
  ): Promise<User | null> {
    const user = await this.users.withPasswordHashByEmail(this.db.manager, normalizeEmail(email));
    if (!user) return null;
    // Hashed before the transaction: argon2 is deliberately slow.
    const hash = await this.hasher.hash(password);
    await this.db.transaction(async (em) => {
      await this.users.setPasswordHash(em, user.id, hash);
      await alongside(em, user);
    });
    return user;
  }

  /**
   * A password changed by its owner (PasswordChange): the new hash, over the one the current
   * password was checked against; false when another was set meanwhile.
   */
  replacePasswordHash(
    em: EntityManager,
    id: string,
    passwordHash: string,
    was: string,
  ): Promise<boolean> {
    return this.users.setPasswordHash(em, id, passwordHash, was);
  }

  async findById(id: string): Promise<User | null> {
    return this.users.findById(this.db.manager, id);
  }

  /** Where a company's invoices go when it names no billing email: its (first) admin. */
  adminEmailOf(em: EntityManager, companyId: string): Promise<string | null> {
    return this.users.adminEmailOf(em, companyId);
  }

  /**
   * Emails by user id (users that do not exist are absent), for staff screens that show who an
   * id is (finance's adjustments and payout lines). One query however many ids.
   */
  async emailsOf(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.users.emailsOf(em, [...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, r.email]));
  }

  /**
   * Ids of the role's users whose email starts with the term (as typed, any case), at most
   * `limit`: a directory search by email, which is a prefix search so that its matches stay few.
   */
  idsWithEmailPrefix(
    em: EntityManager,
    term: string,
    role: UserRole,
    limit: number,
  ): Promise<string[]> {
    return this.users.idsWithEmailPrefix(em, normalizeEmail(term), role, limit);
  }

  /** The staff users (finance, admin), for an admin: they are created in the CLI only. */
  async listStaff(actor: Actor, role?: StaffRole): Promise<UserDto[]> {
    requireUser(actor, 'admin');
    const users = await this.users.staff(this.db.manager, role ? [role] : [...STAFF_ROLES]);
    return users.map(toUserDto);
  }

  async getMe(actor: Actor): Promise<MeDto> {
    const { userId } = requireUser(actor);
    const user = await this.findById(userId);
    if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    const company = user.companyId
      ? await this.companies.summaryOf(this.db.manager, user.companyId)
      : null;
    return toMeDto(user, company);
  }

  /** Finance and admin staff exist only through the CLI; see `npm run cli -- users:create`. */
  async createStaff(email: string, password: string, role: StaffRole): Promise<UserDto> {
    const passwordHash = await this.hasher.hash(password);
    const user = await this.db.transaction((em) =>
      this.insert(em, { email, passwordHash, role, companyId: null }),
    );
    return toUserDto(user);
  }
}
