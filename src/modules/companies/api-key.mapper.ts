import { ApiKey } from './api-key.entity';
import { ApiKeyDto, BotIdentityDto } from './api-key.dto';
import { BotIdentityRow } from './api-keys.repository';

export const toApiKeyDto = (k: ApiKey): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
});

/** The row does not carry the key's id: the caller's actor does. */
export const toBotIdentityDto = (row: BotIdentityRow, apiKeyId: string): BotIdentityDto => ({
  companyId: row.company_id,
  companyName: row.company_name,
  apiKeyId,
  apiKeyName: row.name,
  apiKeyPrefix: row.prefix,
});
