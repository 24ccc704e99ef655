import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Actor, BotActor } from '../../common/auth/actor';
import { requireBot, requireCompany } from '../../common/auth/access';
import type { ApiKeyLiveness } from '../../common/auth/api-key-liveness';
import { randomSecret, sha256Hex } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { EventHub } from '../events/event-hub.service';
import { ApiKeyDto, BotIdentityDto, CreatedApiKeyDto } from './api-key.dto';
import { toApiKeyDto, toBotIdentityDto } from './api-key.mapper';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeysRepository } from './api-keys.repository';
import { CompaniesRepository } from './companies.repository';

export const API_KEY_PREFIX = 'hk_live_';
/** Any bearer token starting so is treated as an API key, never as a JWT. */
export const isApiKey = (token: string) => token.startsWith('hk_');
const KEY_FORMAT = /^hk_live_[A-Za-z0-9_-]{43}$/;
const DISPLAY_PREFIX_LENGTH = 12;
export const MAX_ACTIVE_KEYS = 20;
// last_used_at is for humans; writing it on every bot call would cost a write per request.
const LAST_USED_RESOLUTION_MS = 60_000;

// Made only when refusing: an Error captures its stack when built, which every bot request
// paid for when this was built up front (issue 20's profile).
const invalidApiKey = () => new DomainError('INVALID_API_KEY', 'The API key is invalid or revoked');

@Injectable()
export class ApiKeysService implements ApiKeyLiveness {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keys: ApiKeysRepository,
    private readonly companies: CompaniesRepository,
    private readonly hub: EventHub,
    private readonly cache: ApiKeyCache,
  ) {}

  async create(actor: Actor, name: string): Promise<CreatedApiKeyDto> {
    const companyId = requireCompany(actor);
    const key = API_KEY_PREFIX + randomSecret(32);
    const saved = await this.db.transaction(async (em) => {
      // Serialises key creation per company so the active-key cap holds under concurrency.
      await this.companies.lockForUpdate(em, companyId);
      const active = await this.keys.countActive(em, companyId);
      if (active >= MAX_ACTIVE_KEYS) {
        throw new DomainError(
          'API_KEY_LIMIT',
          `A company may hold at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first`,
        );
      }
      return this.keys.insert(em, {
        companyId,
        name: name.trim(),
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        keyHash: sha256Hex(key),
        createdBy: actor.kind === 'user' ? actor.userId : null,
      });
    });
    return { ...toApiKeyDto(saved), key };
  }

  async list(actor: Actor): Promise<ApiKeyDto[]> {
    const companyId = requireCompany(actor);
    const keys = await this.keys.activeOf(this.db.manager, companyId);
    return keys.map(toApiKeyDto);
  }

  /** Idempotent for the company's own keys; another company's key id is simply not found. */
  async revoke(actor: Actor, id: string): Promise<void> {
    const companyId = requireCompany(actor);
    const key = await this.keys.findOf(this.db.manager, id, companyId);
    if (!key) throw DomainError.notFound('API key');
    await this.keys.revoke(this.db.manager, id, companyId);
    // After the revocation committed: no process trusts it any more, and the bot's streams end
    // (its reconnect is then refused).
    await this.cache.revoked(id);
    await this.hub.endStreamsOf(id);
  }

  /** Resolves a presented key to the bot actor it stands for, or throws INVALID_API_KEY. */
  async authenticate(presented: string): Promise<BotActor> {
    if (!KEY_FORMAT.test(presented)) throw invalidApiKey();
    const hash = sha256Hex(presented);
    let found = this.cache.get(hash);
    if (!found) {
      const ticket = this.cache.ticket();
      found = await this.keys.activeByHash(this.db.manager, hash);
      if (!found) throw invalidApiKey();
      await this.cache.set(hash, found, ticket);
    }
    const { id, company_id: companyId } = found;
    await this.touch(id);
    return { kind: 'bot', role: 'bot', companyId, apiKeyId: id };
  }

  /** Not revoked (read from the database, not the cache: a stream's check, ApiKeyLiveness). */
  async isActive(keyId: string): Promise<boolean> {
    return this.keys.isActive(this.db.manager, keyId);
  }

  async identity(actor: Actor): Promise<BotIdentityDto> {
    const bot = requireBot(actor);
    const row = await this.keys.identityOf(this.db.manager, bot.apiKeyId);
    return toBotIdentityDto(row, bot.apiKeyId);
  }

  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(id, now);
    await this.keys.touch(this.db.manager, id);
  }
}
