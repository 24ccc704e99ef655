import { FieldError } from '../../common/errors/domain-error';
import { MAX_SHIFT_MINUTES, MIN_SHIFT_MINUTES } from './shift-rules';

/**
 * Start in the future by `now` (the database's clock, which starts and ends shifts); length
 * 15 min to 12 h, a problem named on `lengthField` (the field the caller changed). Field-level
 * errors, like DTO validation.
 */
export function checkWindow(
  startsAt: Date,
  endsAt: Date,
  now: number,
  lengthField: 'startsAt' | 'endsAt' = 'endsAt',
): FieldError[] {
  const problems: FieldError[] = [];
  if (startsAt.getTime() <= now) {
    problems.push({ field: 'startsAt', messages: ['startsAt must be in the future'] });
  }
  const minutes = (endsAt.getTime() - startsAt.getTime()) / 60_000;
  if (minutes < MIN_SHIFT_MINUTES || minutes > MAX_SHIFT_MINUTES) {
    problems.push({
      field: lengthField,
      messages: [
        `endsAt must be ${MIN_SHIFT_MINUTES} minutes to ${MAX_SHIFT_MINUTES / 60} hours after startsAt`,
      ],
    });
  }
  return problems;
}
