import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { randomSecret, safeEqualHex, sha256Hex } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { endStreamsNow } from '../events/end-streams.handler';
import { OutboxService } from '../outbox/outbox.service';
import { RefreshToken } from './refresh-token.entity';
import { RefreshTokensRepository } from './refresh-tokens.repository';

const TOKEN_FORMAT =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** A login as its access tokens name it: its family, and when it last proved the password. */
export interface LoginProof {
  id: string;
  authenticatedAt: Date;
}

/** A refresh token and the login it belongs to. */
export interface IssuedLogin {
  token: string;
  login: LoginProof;
}

export type Rotation =
  | ({ outcome: 'rotated'; userId: string } & IssuedLogin)
  | { outcome: 'reused'; userId: string }
  | { outcome: 'invalid' };

/**
 * Refresh tokens are `<row id>.<secret>`: the id finds the row, the secret (stored as SHA-256)
 * proves possession. Each token works once; a second use revokes its whole family, unless it
 * comes within REFRESH_TOKEN_REUSE_GRACE_SECONDS and before the chain moved on (`inGrace`).
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly tokens: RefreshTokensRepository,
    private readonly outbox: OutboxService,
  ) {}

  /** Starts a new family (a login), which proved the password now. */
  async issue(em: EntityManager, userId: string): Promise<IssuedLogin> {
    const now = new Date();
    const login = { id: randomUUID(), authenticatedAt: now };
    return { token: await this.insert(em, userId, login, now), login };
  }

  /**
   * The login `familyId` of the user proved its password again (a reauthentication): a new token
   * of the login, carrying the time, for the client that gave the password. The others stay as
   * they are, with the login's earlier time: whichever is used first revokes the rest (rotate),
   * so a copy of the cookie taken before gains nothing from the proof, and used after the new
   * token it is taken for stolen. Nor is the client signed out when the answer is lost: the token
   * it holds still works, without the time. Under the family's lock, as a rotation: a sign-out
   * committing meanwhile leaves no new token alive after it. Null when that login has ended
   * (signed out, revoked, expired) or is not the user's; with `presented` (the console's cookie),
   * also when that token is not one of this login's: the browser is signed in to another.
   */
  reauthenticated(
    userId: string,
    familyId: string,
    presented?: string,
  ): Promise<IssuedLogin | null> {
    const maxDays = this.config.get('REFRESH_SESSION_MAX_DAYS', { infer: true });
    return this.db.transaction(async (em) => {
      if (presented !== undefined && (await this.familyOf(em, presented)) !== familyId) {
        return null;
      }
      await this.tokens.lockFamily(em, familyId);
      const loginAt = await this.tokens.liveLoginAt(em, userId, familyId, maxDays);
      if (!loginAt) return null;
      const login = { id: familyId, authenticatedAt: new Date() };
      return { token: await this.insert(em, userId, login, loginAt), login };
    });
  }

  /**
   * The login a genuine token not revoked belongs to, or null. A revoked one in the cookie means
   * another copy of the login was used (a theft, say): refused here, so the console's renewal
   * presents it and reuse detection ends the login, rather than the new token hiding it.
   */
  private async familyOf(em: EntityManager, presented: string): Promise<string | null> {
    const parsed = TOKEN_FORMAT.exec(presented);
    if (!parsed) return null;
    const found = await this.tokens.withHash(em, parsed[1], false);
    const genuine = found && safeEqualHex(found.tokenHash, sha256Hex(parsed[2]));
    return genuine && !found.revokedAt ? found.familyId : null;
  }

  /** Whether the login still has a token that works (RecentSignIn: an access token outlives it). */
  loginAlive(familyId: string): Promise<boolean> {
    return this.alive(this.db.manager, familyId);
  }

  /** Spends `presented` and returns its successor, in one transaction. */
  rotate(presented: string): Promise<Rotation> {
    const parsed = TOKEN_FORMAT.exec(presented);
    if (!parsed) return Promise.resolve({ outcome: 'invalid' });
    const [, id, secret] = parsed;
    return this.db.transaction(async (em): Promise<Rotation> => {
      const found = await this.tokens.withHash(em, id, false);
      if (!found || !safeEqualHex(found.tokenHash, sha256Hex(secret)))
        return { outcome: 'invalid' };
      // One rotation of a login at a time (the family's lock, then the row's): two uses of one
      // token see each other, and so do two siblings of the reuse grace.
      await this.tokens.lockFamily(em, found.familyId);
      // Gone since the first read: pruned (its login ended long ago).
      const row = await this.tokens.withHash(em, id, true);
      if (!row) return { outcome: 'invalid' };
      if (row.revokedAt) {
        // Revoked while its login lives on: another token of the login was used instead (a
        // sibling from the reuse grace, a reauthentication's token, or the one it was issued
        // beside), so this is the other copy of a login used twice. Else (a logout): invalid.
        if (!(await this.alive(em, row.familyId))) return { outcome: 'invalid' };
        return this.signOutReused(em, row);
      }
      const expired = row.expiresAt.getTime() <= Date.now();
      if (row.usedAt) {
        if (expired || !(await this.inGrace(em, row))) {
          // A login already ended (each of its tokens expired) has nobody to sign out: taken
          // for a reuse, a spent token kept by a former device ended the streams of every later
          // login, as often as it was sent (as logout once did).
          if (!(await this.alive(em, row.familyId))) return { outcome: 'invalid' };
          return this.signOutReused(em, row);
        }
        // Its answer was lost (a reload mid-refresh): a sibling of the successor, which stays
        // valid too, since the browser may yet store either cookie. The first of them used
        // revokes the others.
        if (this.loginEnded(row)) return { outcome: 'invalid' };
        const token = await this.insert(em, row.userId, loginOf(row), row.loginAt);
        return { outcome: 'rotated', userId: row.userId, token, login: loginOf(row) };
      }
      if (expired || this.loginEnded(row)) return { outcome: 'invalid' };
      await this.tokens.markUsed(em, id);
      const token = await this.insert(em, row.userId, loginOf(row), row.loginAt);
      // The login goes on from this token alone: siblings the grace gave out, and tokens a
      // reauthentication issued beside it, are revoked; whoever presents one later is taken for
      // the copy (above).
      await this.tokens.revokeUnusedExcept(em, row.familyId, [id, idOf(token)]);
      return { outcome: 'rotated', userId: row.userId, token, login: loginOf(row) };
    });
  }

  /** A token used twice: its login ends, and so do the user's streams (endStreamsLater). */
  private async signOutReused(em: EntityManager, row: RefreshToken): Promise<Rotation> {
    await this.tokens.revokeFamily(em, row.familyId);
    await this.endStreamsLater(em, row.userId);
    return { outcome: 'reused', userId: row.userId };
  }

  /**
   * Writes the job that ends the user's streams as of now, in the transaction that ended the
   * session: the call after the commit (AuthService) may never run (the process died, Redis
   * away), and an access token's stream would then live on until the token expires.
   */
  private endStreamsLater(em: EntityManager, userId: string): Promise<string> {
    return this.outbox.enqueue(em, 'events.end-streams', endStreamsNow(userId));
  }

  /**
   * A second use soon after the first, while no later token of the login was used: the client
   * that used it never got the answer. Past that, the token was copied, or the client is
   * confused, and the login is signed out.
   */
  private async inGrace(em: EntityManager, row: RefreshToken): Promise<boolean> {
    const grace = this.config.get('REFRESH_TOKEN_REUSE_GRACE_SECONDS', { infer: true });
    if (Date.now() - row.usedAt!.getTime() > grace * 1000) return false;
    return !(await this.tokens.usedSince(em, row.familyId, row.id));
  }

  /**
   * Logout: revokes the family of `presented` if it is a genuine token; silent otherwise.
   * Returns the signed-out user: null for a token that is not genuine, or whose login had
   * already ended (revoked, expired), which signs nobody out: a spent token kept by a former
   * device must not end the user's streams of a later login, again and again.
   */
  async revoke(presented: string): Promise<string | null> {
    const parsed = TOKEN_FORMAT.exec(presented);
    if (!parsed) return null;
    const [, id, secret] = parsed;
    return this.db.transaction(async (em) => {
      const row = await this.tokens.withHash(em, id, false);
      if (!row || !safeEqualHex(row.tokenHash, sha256Hex(secret))) return null;
      // The family's lock, as a rotation takes it: a refresh committing meanwhile has inserted
      // a successor this UPDATE would not see (it re-checks only the rows it found), which
      // then outlived the logout for its whole life.
      await this.tokens.lockFamily(em, row.familyId);
      const alive = await this.alive(em, row.familyId);
      await this.tokens.revokeFamily(em, row.familyId);
      if (!alive) return null;
      await this.endStreamsLater(em, row.userId);
      return row.userId;
    });
  }

  /**
   * Ends every login of the user (a password set by an operator or changed, a leak): each under
   * its family's lock, in id order, as a rotation takes it, so a refresh committing meanwhile has
   * no successor outlive this. `within`: the caller's transaction (a password change commits
   * both together). Returns how many logins were ended.
   */
  async revokeAllOf(userId: string, within?: EntityManager): Promise<number> {
    const work = async (em: EntityManager) => {
      const families = await this.tokens.liveFamiliesOf(em, userId);
      for (const familyId of families) {
        await this.tokens.lockFamily(em, familyId);
        await this.tokens.revokeFamily(em, familyId);
      }
      // Even with no login left: an access token lives on, and so may its stream.
      await this.endStreamsLater(em, userId);
      return families.length;
    };
    return within ? work(within) : this.db.transaction(work);
  }

  private alive(em: EntityManager, familyId: string): Promise<boolean> {
    const maxDays = this.config.get('REFRESH_SESSION_MAX_DAYS', { infer: true });
    return this.tokens.familyAlive(em, familyId, maxDays);
  }

  /** A login ends REFRESH_SESSION_MAX_DAYS after it began, however often it was refreshed. */
  private loginEndsAt(loginAt: Date): number {
    const days = this.config.get('REFRESH_SESSION_MAX_DAYS', { infer: true });
    return loginAt.getTime() + days * 86_400_000;
  }

  private loginEnded(row: RefreshToken): boolean {
    return this.loginEndsAt(row.loginAt) <= Date.now();
  }

  private async insert(
    em: EntityManager,
    userId: string,
    login: LoginProof,
    loginAt: Date,
  ): Promise<string> {
    const secret = randomSecret(32);
    const days = this.config.get('REFRESH_TOKEN_TTL_DAYS', { infer: true });
    const id = await this.tokens.insert(em, {
      userId,
      familyId: login.id,
      authenticatedAt: login.authenticatedAt,
      tokenHash: sha256Hex(secret),
      // Never past the login's end: each refresh used to give the chain another TTL, for ever.
      expiresAt: new Date(Math.min(Date.now() + days * 86_400_000, this.loginEndsAt(loginAt))),
      loginAt,
    });
    return `${id}.${secret}`;
  }
}

export function refreshError(outcome: 'reused' | 'invalid'): DomainError {
  return outcome === 'reused'
    ? new DomainError(
        'REFRESH_TOKEN_REUSED',
        'This refresh token was already used; every session from the same login is now signed out',
      )
    : new DomainError('INVALID_REFRESH_TOKEN', 'The refresh token is invalid, expired or revoked');
}

const loginOf = (row: RefreshToken): LoginProof => ({
  id: row.familyId,
  authenticatedAt: row.authenticatedAt,
});

/** The row id of a token made by `insert`. */
const idOf = (token: string) => token.slice(0, token.indexOf('.'));
