import { IsString, Matches } from 'class-validator';
import { Length, MaxLength } from '../../common/validation/text-and-numbers';
import { NoUnreadableCharacters } from '../../common/validation/credentials';

export class ChangePasswordDto {
  /**
   * The password the account signs in with now.
   * @example "correct horse battery staple"
   */
  @IsString()
  @MaxLength(128)
  currentPassword: string;

  /**
   * 12 to 128 characters, not the current one.
   * @example "a longer horse, stapled twice"
   */
  @IsString()
  @Length(12, 128, { message: 'newPassword must be 12 to 128 characters long' })
  @Matches(/\S/, { message: 'newPassword must not be blank' })
  @NoUnreadableCharacters('newPassword')
  newPassword: string;
}

export class ReauthenticateDto {
  /**
   * The password the account signs in with.
   * @example "correct horse battery staple"
   */
  @IsString()
  @MaxLength(128)
  password: string;
}
