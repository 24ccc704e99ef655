import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { deleteInBatches } from '../../database/sql';
import { RefreshToken } from './refresh-token.entity';

/** The fields of a new token; the rest are the database's defaults. */
export type NewRefreshToken = Pick<
  RefreshToken,
  'userId' | 'familyId' | 'tokenHash' | 'expiresAt' | 'loginAt'
>;

/** `refresh_tokens`: rotation chains, one family per login. */
@Injectable()
export class RefreshTokensRepository {
  /** Inserts a token; returns its id. */
  async insert(em: EntityManager, token: NewRefreshToken): Promise<string> {
    return (await em.save(em.create(RefreshToken, token))).id;
  }

  /**
   * Prunes tokens expired more than `days` ago, in short batches (deleteInBatches): such a
   * token presented again is unknown, so invalid, rather than a reuse (its login has ended, or
   * it was spent that long ago). Returns how many went.
   */
  deleteExpiredBefore(em: EntityManager, days: number, goOn?: () => boolean): Promise<number> {
    return deleteInBatches(
      em,
      'refresh_tokens',
      'id',
      `expires_at < now() - make_interval(days => $1)`,
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

  /** Serialises the rotations of one login (an advisory lock, released at commit). */
  async lockFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [familyId]);
  }

  /** Whether the login still has a token that works (not revoked, not expired). */
  async familyAlive(em: EntityManager, familyId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM refresh_tokens
        WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > now() LIMIT 1`,
      [familyId],
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

  /** Revokes every still-valid token of the family. */
  async revokeFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.update(RefreshToken, { familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }
}
