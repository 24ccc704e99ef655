import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { Actor, BotActor } from '../../common/auth/actor';
import { requireBot, requireCompany } from '../../common/auth/access';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { ApiKey } from './api-key.entity';
import { ApiKeyDto, BotIdentityDto, CreatedApiKeyDto } from './api-key.dto';
import { Company } from './company.entity';

export const API_KEY_PREFIX = 'hk_live_';
/** Any bearer token starting so is treated as an API key, never as a JWT. */
export const isApiKey = (token: string) => token.startsWith('hk_');
const KEY_FORMAT = /^hk_live_[A-Za-z0-9_-]{43}$/;
const DISPLAY_PREFIX_LENGTH = 12;
export const MAX_ACTIVE_KEYS = 20;
// last_used_at is for humans; writing it on every bot call would cost a write per request.
const LAST_USED_RESOLUTION_MS = 60_000;

const toDto = (k: ApiKey): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
});

@Injectable()
export class ApiKeysService {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(actor: Actor, name: string): Promise<CreatedApiKeyDto> {
    const companyId = requireCompany(actor);
    const key = API_KEY_PREFIX + randomSecret(32);
    const saved = await this.db.transaction(async (em) => {
      // Serialises key creation per company so the active-key cap holds under concurrency.
      await em
        .getRepository(Company)
        .findOne({ where: { id: companyId }, lock: { mode: 'pessimistic_write' } });
      const active = await em.countBy(ApiKey, { companyId, revokedAt: IsNull() });
      if (active >= MAX_ACTIVE_KEYS) {
        throw new DomainError(
          'API_KEY_LIMIT',
          `A company may hold at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first`,
        );
      }
      return em.save(
        em.create(ApiKey, {
          companyId,
          name: name.trim(),
          prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
          keyHash: sha256Hex(key),
          createdBy: actor.kind === 'user' ? actor.userId : null,
        }),
      );
    });
    return { ...toDto(saved), key };
  }

  async list(actor: Actor): Promise<ApiKeyDto[]> {
    const companyId = requireCompany(actor);
    const keys = await this.db.getRepository(ApiKey).find({
      where: { companyId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return keys.map(toDto);
  }

  /** Idempotent for the company's own keys; another company's key id is simply not found. */
  async revoke(actor: Actor, id: string): Promise<void> {
    const companyId = requireCompany(actor);
    const repo = this.db.getRepository(ApiKey);
    const key = await repo.findOneBy({ id, companyId });
    if (!key) throw DomainError.notFound('API key');
    await repo.update({ id, companyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** Resolves a presented key to the bot actor it stands for, or throws INVALID_API_KEY. */
  async authenticate(presented: string): Promise<BotActor> {
    const invalid = new DomainError('INVALID_API_KEY', 'The API key is invalid or revoked');
    if (!KEY_FORMAT.test(presented)) throw invalid;
    const rows: { id: string; company_id: string }[] = await this.db.query(
      'SELECT id, company_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [sha256Hex(presented)],
    );
    if (rows.length === 0) throw invalid;
    const { id, company_id: companyId } = rows[0];
    await this.touch(id);
    return { kind: 'bot', role: 'bot', companyId, apiKeyId: id };
  }

  async identity(actor: Actor): Promise<BotIdentityDto> {
    const bot = requireBot(actor);
    const [row] = await this.db.query(
      `SELECT c.id AS company_id, c.name AS company_name, k.name, k.prefix
         FROM api_keys k JOIN companies c ON c.id = k.company_id WHERE k.id = $1`,
      [bot.apiKeyId],
    );
    return {
      companyId: row.company_id,
      companyName: row.company_name,
      apiKeyId: bot.apiKeyId,
      apiKeyName: row.name,
      apiKeyPrefix: row.prefix,
    };
  }

  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(id, now);
    await this.db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
