import { IsString, Length, Matches } from 'class-validator';

export class CreateApiKeyDto {
  /**
   * What the key is for, e.g. "production bot".
   * @example "production bot"
   */
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}

export class ApiKeyDto {
  id: string;
  name: string;
  /** The key's first characters, enough to recognise it. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The whole key. Shown this once; store it in your bot's secrets. */
  key: string;
}

export class BotIdentityDto {
  companyId: string;
  companyName: string;
  apiKeyId: string;
  apiKeyName: string;
  apiKeyPrefix: string;
}
