import type { FieldError } from '../errors/domain-error';

/**
 * Deepest nesting a JSON body may have (the body itself is level 1). This API's deepest real
 * body is about 4 levels; free-form fields (ticket metadata) get room, abuse does not.
 */
export const MAX_BODY_DEPTH = 32;

/** A name as it appears in an error: a NUL shown as the text `\u0000`, never as the byte. */
export const showNul = (name: string) => name.replaceAll('\u0000', '\\u0000');

type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Whether every surrogate has its other half (JSON's "\ud800" alone is not a character).
 * String.prototype.isWellFormed (ES2024, native in Node 20) runs on every string of every body,
 * intake's included; TypeScript's lib here predates it.
 */
const wellFormed = (value: string): boolean => (value as WellFormedString).isWellFormed();

/**
 * Problems that would otherwise surface later as a 500: nesting past MAX_BODY_DEPTH (class-
 * transformer and class-validator recurse and overflow the stack), NUL characters in keys or
 * strings (PostgreSQL text and jsonb cannot hold them) and unpaired surrogates in keys (jsonb
 * refuses the escape JSON.stringify writes for one). Walks with an explicit stack, never
 * recursion, so no body can overflow it; the paths come in document order.
 *
 * An unpaired surrogate in a string value is mended in place, as U+FFFD (what a text column
 * stored it as before): a bot that cut a message in the middle of an emoji has its escalation
 * taken, not refused for half a character.
 */
export function bodyProblems(body: unknown): FieldError[] {
  const bad = new Map<string, 'nul' | 'unpaired'>();
  const stack: Entry[] = [{ value: body, path: '', depth: 1 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value, path, depth } = entry;
    if (typeof value === 'string') {
      const field = path || '(body)';
      const problem = value.includes('\u0000') ? 'nul' : wellFormed(value) ? null : 'unpaired';
      if (problem === 'unpaired' && entry.parent) {
        entry.parent[entry.key!] = (value as WellFormedString).toWellFormed();
      } else if (problem && !bad.has(field)) {
        // A bad key holding a bad string is named once, for the first found (the key).
        bad.set(field, problem);
      }
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
    const parent = value as Record<string, unknown>;
    const children = Object.entries(parent);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i];
      const childPath = path ? `${path}.${showNul(key)}` : showNul(key);
      // A key is reported where it stands, before anything beneath it (pushed last, popped
      // first); a key is never mended (no parent given), only a string value is.
      stack.push({ value: child, path: childPath, depth: depth + 1, parent, key });
      if (key.includes('\u0000') || !wellFormed(key)) {
        stack.push({ value: key, path: childPath, depth });
      }
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

interface Entry {
  value: unknown;
  path: string;
  depth: number;
  /** Where a string value stands, so that it can be mended. */
  parent?: Record<string, unknown>;
  key?: string;
}
