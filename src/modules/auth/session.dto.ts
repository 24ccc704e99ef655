import { ApiInteger } from '../../common/http/openapi-property';
import { UserDto } from '../users/user.dto';

/**
 * A console session's answer: the access token for memory, and who it is for. The refresh token
 * is in the httpOnly cookie, out of the page's reach.
 */
export class SessionDto {
  /**
   * JWT for `Authorization: Bearer …`; keep it in memory only.
   * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwZjhmYWQ1Yi1kOWNiLTQ2OWYtYTE2NS03MDg2NzcyODk1MGUiLCJyb2xlIjoiYWdlbnQifQ.Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2llQm9vZ2ll
   */
  accessToken: string;
  /**
   * Seconds until the access token expires: refresh before.
   * @example 900
   */
  @ApiInteger()
  expiresIn: number;
  /** @example Bearer */
  tokenType: 'Bearer';
  user: UserDto;
}
