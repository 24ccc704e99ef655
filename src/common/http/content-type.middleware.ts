import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

/**
 * A body that is not JSON would otherwise be ignored by the JSON parser and reach validation as
 * an empty object; refuse it up front with 415 so the caller learns what is wrong.
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (hasBody && !req.is('application/json') && !req.is('application/*+json')) {
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
