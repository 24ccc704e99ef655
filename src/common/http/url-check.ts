import { DomainError, FieldError } from '../errors/domain-error';
import { showNul } from './body-shape';

const nulMessage = (field: string) => `${field} must not contain NUL characters`;

/**
 * A `%00` in the path or query decodes to NUL, which PostgreSQL text refuses (a 500 once it
 * reached a query), and a malformed escape makes routing fail with a bare error. Both are
 * refused first thing (an onRequest hook), before authentication, naming "path" or the query
 * parameter. Node's HTTP parser already refuses raw NUL bytes, so an escape is the only way one
 * arrives. Returns the error to answer with, or null.
 */
export function badUrlError(url: string): DomainError | null {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const fields: FieldError[] = [];
  let path: string | null = null;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    fields.push({ field: 'path', messages: ['path must be valid percent-encoded UTF-8'] });
  }
  if (path?.includes('\u0000')) fields.push({ field: 'path', messages: [nulMessage('path')] });
  if (q !== -1 && /%00/.test(url.slice(q + 1))) {
    // URLSearchParams decodes as the query parser does, and never throws.
    const named = new Set<string>();
    for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
      if (key.includes('\u0000') || value.includes('\u0000')) named.add(showNul(key));
    }
    for (const field of named) fields.push({ field, messages: [nulMessage(field)] });
  }
  return fields.length > 0 ? DomainError.validation(fields) : null;
}
