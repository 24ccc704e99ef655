import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { deleteInBatches } from '../../database/sql';
import { RefreshToken } from './refresh-token.entity';

/** The fields of a new token; the rest are the database's defaults. */
export type NewRefreshToken = Pick<
  RefreshToken,
  'userId' | 'familyId' | 'tokenHash' | 'expiresAt' | 'loginAt' | 'authenticatedAt'
>;

/** `refresh_tokens`: rotation chains, one family per login. */
@Injectable()
export class RefreshTokensRepository {
  /** Inserts a token; returns its id. */
  async insert(em: EntityManager, token: NewRefreshToken): Promise<string> {
    return (await em.save(em.create(RefreshToken, token))).id;
  }

  /**
   * Prunes the tokens of logins begun more than `days` ago, in short batches (deleteInBatches,
   * through ix_refresh_tokens_login). A login's tokens all stay while it lives, so that any
   * spent one presented again is still taken for a copy (reuse detection). Returns how many went.
   */
  deleteLoginsBegunBefore(em: EntityManager, days: number, goOn?: () => boolean): Promise<number> {
    return deleteInBatches(
      em,
      'refresh_tokens',
      'id',
      `login_at < now() - make_interval(hours => 24 * $1)`,
      [days],
      undefined,
      goOn,
    );
  }

  /** The token with its hash; `forUpdate` locks its row until the transaction ends. */
  withHash(em: EntityManager, id: string, forUpdate: boolean): Promise<RefreshToken | null> {
    const query = em
      .getRepository(RefreshToken)
      .createQueryBuilder('t')
      .addSelect('t.tokenHash')
      .where('t.id = :id', { id });
    return (forUpdate ? query.setLock('pessimistic_write') : query).getOne();
  }

  async markUsed(em: EntityManager, id: string): Promise<void> {
    await em.update(RefreshToken, { id }, { usedAt: () => 'now()' });
  }

  /** Whether a token of the family was used after `id` was (its chain has moved on). */
  async usedSince(em: EntityManager, familyId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM refresh_tokens
        WHERE family_id = $1
          AND used_at > (SELECT used_at FROM refresh_tokens WHERE id = $2)
        LIMIT 1`,
      [familyId, id],
    );
    return rows.length > 0;
  }

  /**
   * When the user's login `familyId` began, while it still has a token that works (as
   * familyAlive reads it); null when it has ended or is another user's.
   */
  async liveLoginAt(
    em: EntityManager,
    userId: string,
    familyId: string,
    maxDays: number,
  ): Promise<Date | null> {
    const rows: { login_at: Date }[] = await em.query(
      `SELECT login_at FROM refresh_tokens
        WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
          AND login_at > now() - make_interval(hours => 24 * $3)
        LIMIT 1`,
      [familyId, userId, maxDays],
    );
    return rows[0]?.login_at ?? null;
  }

  /** Serialises the rotations of one login (an advisory lock, released at commit). */
  async lockFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [familyId]);
  }

  /**
   * Whether the login still has a token that works: not revoked, not expired, and the login
   * begun less than `maxDays` ago (a token of a login past its end may expire later: issued
   * before logins ended, or before REFRESH_SESSION_MAX_DAYS was lowered).
   */
  async familyAlive(em: EntityManager, familyId: string, maxDays: number): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM refresh_tokens
        WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > now()
          AND login_at > now() - make_interval(hours => 24 * $2) LIMIT 1`,
      [familyId, maxDays],
    );
    return rows.length > 0;
  }

  /** Revokes the family's unused tokens but `keep`. */
  async revokeUnusedExcept(em: EntityManager, familyId: string, keep: string[]): Promise<void> {
    await em.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND id <> ALL($2::uuid[])`,
      [familyId, keep],
    );
  }

  /** The logins (families) of the user with a token not revoked yet. */
  async liveFamiliesOf(em: EntityManager, userId: string): Promise<string[]> {
    const rows: { family_id: string }[] = await em.query(
      `SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL
        ORDER BY family_id`,
      [userId],
    );
    return rows.map((r) => r.family_id);
  }

  /** Revokes every still-valid token of the family. */
  async revokeFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.update(RefreshToken, { familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }
}
