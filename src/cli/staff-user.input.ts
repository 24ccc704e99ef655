import { IsEmail, IsIn } from 'class-validator';
import { MaxLength } from '../common/validation/text-and-numbers';

/** Arguments of `users:create`, validated like an HTTP body. */
export class StaffUserInput {
  @IsIn(['finance', 'admin'], { message: '--role must be finance or admin' })
  role: 'finance' | 'admin';

  @IsEmail({}, { message: '--email must be a valid email address' })
  @MaxLength(254)
  email: string;
}
