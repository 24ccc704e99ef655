import { bodyProblems, MAX_BODY_DEPTH } from './body-shape';

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const fields = (body: unknown) => bodyProblems(body).map((p) => p.field);

describe('bodyProblems', () => {
  it('allows nesting up to the cap and refuses one level more, naming (body)', () => {
    expect(bodyProblems(nested(MAX_BODY_DEPTH))).toEqual([]);
    expect(fields(nested(MAX_BODY_DEPTH + 1))).toEqual(['(body)']);
    expect(fields({ a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] })).toEqual(
      ['(body)'],
    );
  });

  it('walks a million levels without recursion', () => {
    expect(fields(nested(1_000_000))).toEqual(['(body)']);
  });

  it('names NUL in strings and in keys, in document order, each once', () => {
    const body = {
      a: { x: 'ok', y: 'b\u0000' },
      'k\u0000': 'v\u0000',
      list: ['fine', { '\u0000': 1 }],
      s: 'ok',
    };
    expect(fields(body)).toEqual(['a.y', 'k\\u0000', 'list.1.\\u0000']);
    expect(fields('x\u0000')).toEqual(['(body)']);
    expect(bodyProblems({ a: 'plain', b: [1, null, true] })).toEqual([]);
  });

  it('mends unpaired surrogates in values (as U+FFFD) and names them in keys', () => {
    const body = { a: 'fine ❤️ 😀', b: 'cut \ud83d', c: ['\udc00 alone'], ['k\ud83d']: 1 };
    expect(bodyProblems(body)).toEqual([
      {
        field: 'k\ud83d',
        messages: ['k\ud83d must not contain unpaired surrogates (half of a character)'],
      },
    ]);
    expect(body).toMatchObject({ a: 'fine ❤️ 😀', b: 'cut \ufffd', c: ['\ufffd alone'] });
  });
});
