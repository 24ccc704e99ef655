import type { FieldError } from '../errors/domain-error';

/**
 * Deepest nesting a JSON body may have (the body itself is level 1). This API's deepest real
 * body is about 4 levels; free-form fields (ticket metadata) get room, abuse does not.
 */
export const MAX_BODY_DEPTH = 32;

/** A name as it appears in an error: a NUL shown as the text `\u0000`, never as the byte. */
export const showNul = (name: string) => name.replaceAll('\u0000', '\\u0000');

/** Half of a surrogate pair without the other half: not a character (JSON's "\ud800"). */
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string or key as PostgreSQL would store it, if anything. */
function textProblem(value: string): 'nul' | 'unpaired' | null {
  if (value.includes('\u0000')) return 'nul';
  return UNPAIRED.test(value) ? 'unpaired' : null;
}

/**
 * Problems that would otherwise surface later as a 500: nesting past MAX_BODY_DEPTH (class-
 * transformer and class-validator recurse and overflow the stack), NUL characters in keys or
 * strings (PostgreSQL text and jsonb cannot hold them) and unpaired surrogates (jsonb refuses
 * the escape JSON.stringify writes for one). Walks with an explicit stack, never recursion, so
 * no body can overflow it; the paths come in document order.
 */
export function bodyProblems(body: unknown): FieldError[] {
  const bad = new Map<string, 'nul' | 'unpaired'>();
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: '', depth: 1 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      // A bad key holding a bad string is named once, for the first found (the key).
      if (problem && !bad.has(path || '(body)')) bad.set(path || '(body)', problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) {
      return [
        {
          field: '(body)',
          messages: [`the body must not be nested more than ${MAX_BODY_DEPTH} levels deep`],
        },
      ];
    }
    const children = Object.entries(value);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i];
      const childPath = path ? `${path}.${showNul(key)}` : showNul(key);
      // A key is reported where it stands, before anything beneath it (pushed last, popped first).
      stack.push({ value: child, path: childPath, depth: depth + 1 });
      if (textProblem(key)) stack.push({ value: key, path: childPath, depth });
    }
  }
  return [...bad].map(([field, problem]) => ({
    field,
    messages: [
      problem === 'nul'
        ? `${field} must not contain NUL characters`
        : `${field} must not contain unpaired surrogates (half of a character)`,
    ],
  }));
}
