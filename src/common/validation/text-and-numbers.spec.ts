import { validateSync } from 'class-validator';
import { IsDecimal, Length, MaxLength } from './text-and-numbers';

class Sample {
  @MaxLength(3)
  name: unknown;

  @MaxLength(2, { each: true })
  tags: unknown;

  @IsDecimal(2)
  share: unknown;

  @Length(2, 3)
  code: unknown;
}

const problems = (values: Partial<Sample>) =>
  validateSync(
    Object.assign(new Sample(), { name: 'abc', tags: [], share: 0.5, code: 'ab', ...values }),
  ).map((e) => Object.values(e.constraints ?? {})[0]);

describe('rules counted as PostgreSQL counts', () => {
  it('counts code points, variation selectors included', () => {
    expect(problems({ name: '😀😀😀' })).toEqual([]);
    expect(problems({ name: '❤️❤️' })).toEqual([
      'name must be shorter than or equal to 3 characters',
    ]);
    expect(problems({ tags: ['ab', 'abc'] })).toEqual([
      'each value in tags must be shorter than or equal to 2 characters',
    ]);
    expect(problems({ code: '😀😀😀' })).toEqual([]);
    expect(problems({ code: '❤️❤️' })).toEqual([
      'code must be shorter than or equal to 3 characters',
    ]);
    expect(problems({ code: 'a' })).toEqual(['code must be longer than or equal to 2 characters']);
    expect(problems({ code: 42 })).toHaveLength(1);
  });

  it('reads decimals from the value, not its string (1e-7 has seven)', () => {
    expect(problems({ share: 0.07 })).toEqual([]);
    expect(problems({ share: 1e-7 })).toEqual([
      'share must be a number with at most 2 decimal places',
    ]);
    expect(problems({ share: Number.NaN })).toHaveLength(1);
  });
});
