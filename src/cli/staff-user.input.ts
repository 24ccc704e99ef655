import { IsEmail, IsIn } from 'class-validator';
import { MaxLength } from '../common/validation/text-and-numbers';
import { NoInvisibleCharacters } from '../common/validation/credentials';
import { PickType } from '@nestjs/swagger';
import { RegisterDto } from '../modules/auth/auth.dto';

/** Arguments of `users:create`, validated like an HTTP body. */
export class StaffUserInput {
  @IsIn(['finance', 'admin'], { message: '--role must be finance or admin' })
  role: 'finance' | 'admin';

  @IsEmail({}, { message: '--email must be a valid email address' })
  @NoInvisibleCharacters('--email')
  @MaxLength(254)
  email: string;
}

/** The user `users:set-password` names. */
export class UserEmailInput extends PickType(StaffUserInput, ['email'] as const) {}

/** The password `users:create` reads, held to sign-up's rule: sign-in refuses any other. */
export class StaffPasswordInput extends PickType(RegisterDto, ['password'] as const) {}
