import { IsString, Matches } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';

export class CreateApiKeyDto {
  /**
   * What the key is for, e.g. "production bot".
   * @example "production bot"
   */
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}

export class ApiKeyDto {
  /** @example ba73c8f2-4e1d-4b6a-9f3e-2d8c7a5b1e90 */
  id: string;
  /** @example "production bot" */
  name: string;
  /**
   * The key's first characters, enough to recognise it.
   * @example hk_live_Y-PZ
   */
  prefix: string;
  /** @example 2030-04-28T14:02:11.000Z */
  createdAt: Date;
  /**
   * The last call made with it (null until the first).
   * @example 2030-05-04T09:12:31.000Z
   */
  lastUsedAt: Date | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /**
   * The whole key. Shown this once; store it in your bot's secrets.
   * @example hk_live_Y-PZ3KdEiVBZ3TMJZdV081UfDE_e-KfLtcRc0bFzi4s
   */
  key: string;
}

export class BotIdentityDto {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example ba73c8f2-4e1d-4b6a-9f3e-2d8c7a5b1e90 */
  apiKeyId: string;
  /** @example "production bot" */
  apiKeyName: string;
  /** @example hk_live_Y-PZ */
  apiKeyPrefix: string;
}
