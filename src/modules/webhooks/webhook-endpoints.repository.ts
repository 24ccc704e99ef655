import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

/** A company's endpoint as the API shows it (never its secret). */
export interface WebhookEndpointRow {
  url: string;
  created_at: Date;
  updated_at: Date;
}

/** A company's stored signing secret: sealed (`enc:…`) or, from older releases, in clear. */
export interface StoredSecretRow {
  company_id: string;
  secret: string;
}

/** `webhook_endpoints`: one endpoint per company, with its signing secret. */
@Injectable()
export class WebhookEndpointsRepository {
  /**
   * Creates the company's endpoint with `sealedSecret`, or changes the URL of the one it has
   * and keeps its secret (then `sealedSecret` is not used). One statement, so two first PUTs at
   * once cannot both believe they created it.
   */
  async upsertKeepingSecret(
    em: EntityManager,
    companyId: string,
    url: string,
    sealedSecret: string,
  ): Promise<WebhookEndpointRow & { created: boolean }> {
    // xmax is 0 only on a row version this statement inserted; the update path locks the row
    // first and leaves its own transaction id there.
    const [row]: (WebhookEndpointRow & { created: boolean })[] = await em.query(
      `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, $3)
       ON CONFLICT (company_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()
       RETURNING url, created_at, updated_at, (xmax = 0) AS created`,
      [companyId, url, sealedSecret],
    );
    return row;
  }

  /** Replaces the company's secret; undefined if it has no endpoint. */
  async rotateSecret(
    em: EntityManager,
    companyId: string,
    sealedSecret: string,
  ): Promise<WebhookEndpointRow | undefined> {
    const [row] = await changedRows<WebhookEndpointRow>(
      em,
      `UPDATE webhook_endpoints SET secret = $2, updated_at = now() WHERE company_id = $1
       RETURNING url, created_at, updated_at`,
      [companyId, sealedSecret],
    );
    return row;
  }

  async findOf(em: EntityManager, companyId: string): Promise<WebhookEndpointRow | undefined> {
    const [row]: WebhookEndpointRow[] = await em.query(
      'SELECT url, created_at, updated_at FROM webhook_endpoints WHERE company_id = $1',
      [companyId],
    );
    return row;
  }

  /** Removes the company's endpoint; returns how many rows went (0 or 1). */
  async remove(em: EntityManager, companyId: string): Promise<number> {
    const [, removed]: [unknown, number] = await em.query(
      'DELETE FROM webhook_endpoints WHERE company_id = $1',
      [companyId],
    );
    return removed;
  }

  /** Every secret still stored in clear. */
  clearSecrets(em: EntityManager): Promise<StoredSecretRow[]> {
    return em.query(
      `SELECT company_id, secret FROM webhook_endpoints WHERE secret NOT LIKE 'enc:%'`,
    );
  }

  /** The next `limit` secrets after `afterCompanyId` (by company) whose text is NOT LIKE `notLike`. */
  secretsNotLike(
    em: EntityManager,
    afterCompanyId: string,
    notLike: string,
    limit: number,
  ): Promise<StoredSecretRow[]> {
    return em.query(
      `SELECT company_id, secret FROM webhook_endpoints
        WHERE company_id > $1 AND secret NOT LIKE $2 ORDER BY company_id LIMIT $3`,
      [afterCompanyId, notLike, limit],
    );
  }

  /** Replaces a secret only if it still holds `old`; true when it did. */
  async replaceSecret(
    em: EntityManager,
    companyId: string,
    old: string,
    sealed: string,
  ): Promise<boolean> {
    const changed = await changedRows(
      em,
      `UPDATE webhook_endpoints SET secret = $3 WHERE company_id = $1 AND secret = $2
       RETURNING company_id`,
      [companyId, old, sealed],
    );
    return changed.length > 0;
  }
}
