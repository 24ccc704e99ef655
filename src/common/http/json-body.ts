import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';

/**
 * What bodies the API takes: JSON only (application/json or application/*+json, UTF-8), plain
 * or compressed with gzip, deflate or br (zstd is not decoded on every Node we run, so it is
 * refused rather than left to the runtime). The body limit counts decompressed bytes, so a zip
 * bomb is a 413; a body that does not decompress is a 400 (all-exceptions.filter.ts).
 */
const ACCEPTED_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'];

const hasBody = (headers: IncomingHttpHeaders) =>
  headers['transfer-encoding'] !== undefined ||
  (headers['content-length'] !== undefined && headers['content-length'] !== '0');

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[^/;\s]+\+json$/.test(mediaType);
}

/**
 * A body that is not JSON, or in an encoding or charset we do not read, refused up front with
 * 415 so the caller learns what is wrong (checked before anything reads the body).
 */
export function bodyHeaderError(headers: IncomingHttpHeaders): DomainError | null {
  if (!hasBody(headers)) return null;
  const contentType = headers['content-type'];
  const [mediaType, ...params] = (contentType ?? '').split(';').map((p) => p.trim());
  if (!isJson(mediaType.toLowerCase())) {
    return new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json (got ${contentType ?? 'none'})`,
    );
  }
  const charset = params
    .map((p) => /^charset=("?)([^"]*)\1$/i.exec(p)?.[2])
    .find((c) => c !== undefined);
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return new DomainError('UNSUPPORTED_MEDIA_TYPE', `Unsupported charset "${charset}"`);
  }
  const encoding = headers['content-encoding'];
  // Compared lower-cased, as one value: "gzip, br" is not one we accept.
  if (encoding !== undefined && !ACCEPTED_ENCODINGS.includes(encoding.toLowerCase())) {
    return new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding must be one of ${ACCEPTED_ENCODINGS.join(', ')} (got ${encoding})`,
    );
  }
  return null;
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The body as the parser should read it: decompressed when it says it is compressed. Fastify
 * limits both the decompressed bytes and `receivedEncodedLength`, the bytes that arrived (also
 * compared with Content-Length).
 */
export function decodedBody(headers: IncomingHttpHeaders, payload: Readable): Readable {
  const decoder = DECODERS[(headers['content-encoding'] ?? '').toLowerCase()];
  if (!decoder) return payload;
  const decoded = decoder() as Transform & { receivedEncodedLength: number };
  decoded.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (decoded.receivedEncodedLength += chunk.length));
  // A reset while reading reaches the parser as the decoder's error.
  payload.on('error', (err: Error) => decoded.destroy(err));
  // Heard for the decoder's whole life: once the body limit trips, Fastify answers 413 and
  // stops listening to it, and an error it meets after that (a bomb cut short fails when the
  // body ends) was thrown out of the process, ending it. The parser reports its own.
  decoded.on('error', () => payload.unpipe(decoded));
  payload.pipe(decoded);
  return decoded;
}

/** JSON.parse as Express's parser did in strict mode: an object or an array, nothing else. */
export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  // Stripe signs the exact bytes it sent; kept for webhook verification.
  (request as FastifyRequest & { rawBody?: Buffer }).rawBody = body;
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  const first = /^[\s\uFEFF]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw malformed();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
}

const malformed = () => new DomainError('MALFORMED_JSON', 'The request body is not valid JSON');
