import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { ApiKey } from './api-key.entity';

/** What a presented key resolves to. */
export interface ApiKeyOwnerRow {
  id: string;
  company_id: string;
}

/** A key with its company's name, for GET /v1/bot/me. */
export interface BotIdentityRow {
  company_id: string;
  company_name: string;
  name: string;
  prefix: string;
}

/** The fields of a new key; the rest are the database's defaults. */
export type NewApiKey = Pick<ApiKey, 'companyId' | 'name' | 'prefix' | 'keyHash' | 'createdBy'>;

/** `api_keys`: companies' bot keys (stored as hashes). */
@Injectable()
export class ApiKeysRepository {
  countActive(em: EntityManager, companyId: string): Promise<number> {
    return em.countBy(ApiKey, { companyId, revokedAt: IsNull() });
  }

  insert(em: EntityManager, key: NewApiKey): Promise<ApiKey> {
    return em.save(em.create(ApiKey, key));
  }

  /** The company's active keys, newest first. */
  activeOf(em: EntityManager, companyId: string): Promise<ApiKey[]> {
    return em.getRepository(ApiKey).find({
      where: { companyId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }

  /** The company's key, revoked or not; null for another company's key. */
  findOf(em: EntityManager, id: string, companyId: string): Promise<ApiKey | null> {
    return em.getRepository(ApiKey).findOneBy({ id, companyId });
  }

  /** Revokes the key if still active (a no-op otherwise). */
  async revoke(em: EntityManager, id: string, companyId: string): Promise<void> {
    await em
      .getRepository(ApiKey)
      .update({ id, companyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** The active key with this hash, if any. */
  async activeByHash(em: EntityManager, keyHash: string): Promise<ApiKeyOwnerRow | undefined> {
    const rows: ApiKeyOwnerRow[] = await em.query(
      'SELECT id, company_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [keyHash],
    );
    return rows[0];
  }

  async isActive(em: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      'SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL',
      [id],
    );
    return rows.length > 0;
  }

  async identityOf(em: EntityManager, id: string): Promise<BotIdentityRow> {
    const [row]: BotIdentityRow[] = await em.query(
      `SELECT c.id AS company_id, c.name AS company_name, k.name, k.prefix
         FROM api_keys k JOIN companies c ON c.id = k.company_id WHERE k.id = $1`,
      [id],
    );
    return row;
  }

  async touch(em: EntityManager, id: string): Promise<void> {
    await em.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
