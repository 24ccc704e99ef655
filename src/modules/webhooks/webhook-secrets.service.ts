import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { Env } from '../../config/env.validation';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';

export interface ReencryptResult {
  /** Rows sealed again with the current key (clear ones included). */
  reencrypted: number;
  /** Rows that could not be opened with any configured key, by company. */
  failed: string[];
}

const BATCH = 500;

/** The authenticated context of a company's secret: a ciphertext only opens on its own row. */
const context = (companyId: string) => `webhook_endpoints.secret:${companyId}`;

/**
 * Webhook signing secrets, encrypted at rest (issue 11). Rows written in clear by older
 * releases are sealed at start-up and on first use; both forms are read meanwhile.
 */
@Injectable()
export class WebhookSecrets implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookSecrets.name);
  private readonly box: SecretBox;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: ConfigService<Env, true>,
    private readonly endpoints: WebhookEndpointsRepository,
  ) {
    this.box = SecretBox.fromEnv({
      SECRETS_ENCRYPTION_KEY: config.get('SECRETS_ENCRYPTION_KEY', { infer: true }),
      SECRETS_ENCRYPTION_KEY_PREVIOUS: config.get('SECRETS_ENCRYPTION_KEY_PREVIOUS', {
        infer: true,
      }),
    });
  }

  seal(companyId: string, secret: string): string {
    return this.box.seal(secret, context(companyId));
  }

  /** The secret to sign with, from either stored form. */
  reveal(companyId: string, stored: string): string {
    return SecretBox.isSealed(stored) ? this.box.open(stored, context(companyId)) : stored;
  }

  /** Seals a secret still stored in clear; a no-op if another process did it first. */
  async sealIfClear(companyId: string, stored: string): Promise<void> {
    if (SecretBox.isSealed(stored)) return;
    await this.replace(companyId, stored, this.seal(companyId, stored));
  }

  /**
   * Start-up: seals every secret still in clear. Each row is replaced only if it still holds
   * what was read, so processes starting together (or a company setting a new secret
   * meanwhile) never overwrite each other.
   */
  async onApplicationBootstrap(): Promise<void> {
    const rows = await this.endpoints.clearSecrets(this.db.manager);
    for (const r of rows) await this.sealIfClear(r.company_id, r.secret);
    if (rows.length > 0) this.logger.log({ rows: rows.length }, 'webhook secrets encrypted');
  }

  /** `secrets:reencrypt`: seals every secret with the current key, in batches. */
  async reencryptAll(): Promise<ReencryptResult> {
    const result: ReencryptResult = { reencrypted: 0, failed: [] };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await this.endpoints.secretsNotLike(
        this.db.manager,
        after,
        `enc:v1:${this.box.currentKeyId}:%`,
        BATCH,
      );
      if (rows.length === 0) return result;
      for (const r of rows) {
        let secret: string;
        try {
          secret = this.reveal(r.company_id, r.secret);
        } catch (e) {
          this.logger.error({ companyId: r.company_id, err: e }, 'webhook secret not readable');
          result.failed.push(r.company_id);
          continue;
        }
        if (await this.replace(r.company_id, r.secret, this.seal(r.company_id, secret))) {
          result.reencrypted += 1;
        }
      }
      after = rows[rows.length - 1].company_id;
    }
  }

  private async replace(companyId: string, old: string, sealed: string): Promise<boolean> {
    return this.endpoints.replaceSecret(this.db.manager, companyId, old, sealed);
  }
}
