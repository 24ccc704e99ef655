import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * A body that is not JSON would otherwise be ignored by the JSON parser and reach validation as
 * an empty object; refuse it up front with 415 so the caller learns what is wrong.
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (hasBody(req) && !req.is('application/json') && !req.is('application/*+json')) {
    next(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type must be application/json (got ${req.headers['content-type'] ?? 'none'})`,
      ),
    );
    return;
  }
  next();
}

/**
 * Compressed bodies are accepted in the encodings express 5's body-parser decodes on every Node
 * we run: gzip, deflate and br. Its zstd needs Node 22.15+, so it is refused here rather than
 * left to depend on the runtime. The body limit counts decompressed bytes (a zip bomb is a 413);
 * a body that does not decompress is a 400 (see all-exceptions.filter.ts).
 */
const ACCEPTED_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'];

export function requireKnownEncoding(req: Request, _res: Response, next: NextFunction): void {
  const encoding = req.headers['content-encoding'];
  // Compared as body-parser does (lower-cased, one value): "gzip, br" is not one we accept.
  if (
    encoding !== undefined &&
    hasBody(req) &&
    !ACCEPTED_ENCODINGS.includes(encoding.toLowerCase())
  ) {
    next(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding must be one of ${ACCEPTED_ENCODINGS.join(', ')} (got ${encoding})`,
      ),
    );
    return;
  }
  next();
}
