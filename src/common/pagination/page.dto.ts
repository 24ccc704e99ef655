import { IsOptional, IsString } from 'class-validator';
import { MaxLength } from '../validation/text-and-numbers';
import { ListLimit } from './list-limit';

/**
 * The query of every paged list. A *.dto.ts file so the swagger plugin documents `limit` and
 * `cursor` on each list whose query extends it (the plugin reads only *.dto.ts files).
 */
export class PageQueryDto {
  /** Items per page, 1–100 (default 20). */
  @ListLimit()
  limit: number = 20;

  /**
   * The `nextCursor` of the previous page. Room for the longest the API makes: the agent
   * directory's holds a display name (100 characters, up to 4 bytes each, some escaped in its
   * JSON), base64url-encoded.
   */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}
