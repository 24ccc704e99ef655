import type { FieldError } from '../errors/domain-error';

/**
 * Deepest nesting a JSON body may have (the body itself is level 1). This API's deepest real
 * body is about 4 levels; free-form fields (ticket metadata) get room, abuse does not.
 */
export const MAX_BODY_DEPTH = 32;

/** A name as it appears in an error: a NUL shown as the text `\u0000`, never as the byte. */
export const showNul = (name: string) => name.replaceAll('\u0000', '\\u0000');

/**
 * Problems that would otherwise surface later as a 500: nesting past MAX_BODY_DEPTH (class-
 * transformer and class-validator recurse and overflow the stack) and NUL characters in keys or
 * strings (PostgreSQL text and jsonb cannot hold them). Walks with an explicit stack, never
 * recursion, so no body can overflow it; NUL paths come in document order.
 */
export function bodyProblems(body: unknown): FieldError[] {
  const nul: string[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: '', depth: 1 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) nul.push(path || '(body)');
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
      if (key.includes('\u0000')) stack.push({ value: '\u0000', path: childPath, depth });
    }
  }
  // A NUL key holding a NUL string would be named twice.
  return [...new Set(nul)].map((field) => ({
    field,
    messages: [`${field} must not contain NUL characters`],
  }));
}
