import type {
  ComponentsObject,
  HeaderObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_STATUS, ErrorCode } from '../errors/error-code';
import { ERROR_DESCRIPTIONS } from './api-errors';

/*
 * Error responses for the OpenAPI document: one schema for the error shape the filter renders
 * (all-exceptions.filter.ts), narrowed per response to the codes that status can carry on that
 * operation, so a generated client types `error.code` as exactly those.
 */

const CODE_ORDER = Object.keys(ERROR_STATUS) as ErrorCode[];
const byDeclaration = (a: ErrorCode, b: ErrorCode) => CODE_ORDER.indexOf(a) - CODE_ORDER.indexOf(b);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

/**
 * Sets of codes many operations answer alike: referenced from components.responses rather than
 * repeated. Any other set (a route's domain codes) is written inline on its operation.
 */
const SHARED_RESPONSES: Record<string, ErrorCode[]> = sortedSets({
  ValidationFailed: ['VALIDATION_FAILED'],
  InvalidBody: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
  Unauthenticated: ['UNAUTHENTICATED', 'INVALID_API_KEY'],
  Forbidden: ['FORBIDDEN'],
  NotFound: ['NOT_FOUND'],
  Conflict: ['CONFLICT'],
  PayloadTooLarge: ['PAYLOAD_TOO_LARGE'],
  UnsupportedMediaType: ['UNSUPPORTED_MEDIA_TYPE'],
  RateLimited: ['RATE_LIMITED'],
  Internal: ['INTERNAL'],
  ServiceUnavailable: ['SERVICE_UNAVAILABLE'],
});

function sortedSets(sets: Record<string, ErrorCode[]>): Record<string, ErrorCode[]> {
  return Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, [...v].sort(byDeclaration)]));
}

const RETRY_AFTER: HeaderObject = {
  description: 'Seconds to wait before retrying.',
  schema: { type: 'integer', minimum: 0 },
};

/** The error schemas and headers every error response refers to. */
export function errorComponents(): Pick<ComponentsObject, 'schemas' | 'headers'> {
  return {
    schemas: {
      ErrorCode: {
        type: 'string',
        enum: [...CODE_ORDER],
        description: 'A stable error code: branch on it, never on `message`.',
      },
      ErrorBody: {
        type: 'object',
        description: 'Every error the API answers is `{ error: ErrorBody }`.',
        required: ['code', 'message', 'details', 'requestId'],
        properties: {
          code: { $ref: '#/components/schemas/ErrorCode' },
          message: { type: 'string', description: 'For people; may change at any time.' },
          details: {
            description:
              'Context for the code, or null: `fields` for VALIDATION_FAILED, `reasons` for ' +
              'NOT_ELIGIBLE, `allowedRoles` for FORBIDDEN, and so on.',
          },
          // Typed for 3.1 (the document is converted to 3.1 after it is built).
          requestId: {
            type: ['string', 'null'],
            description: 'The X-Request-Id of the request, for support.',
          } as unknown as ReferenceObject,
        },
      },
    },
    headers: { RetryAfter: RETRY_AFTER },
  };
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1) + '.';

function example(codes: ErrorCode[]) {
  // The most telling code: a route's own rather than a generic one.
  const code = [...codes].reverse().find((c) => !['CONFLICT', 'VALIDATION_FAILED'].includes(c));
  const shown = code ?? codes[0];
  return {
    error: {
      code: shown,
      message: sentence(ERROR_DESCRIPTIONS[shown].replace(/`/g, '')),
      details:
        shown === 'VALIDATION_FAILED'
          ? { fields: [{ field: 'limit', messages: ['limit must not be greater than 100'] }] }
          : null,
      requestId: '0b5a4e1c-2f7d-4c83-9a1e-6d3f8b2c7e90',
    },
  };
}

function errorResponse(status: number, codes: ErrorCode[]): ResponseObject {
  const lines = codes.map((c) => `- \`${c}\`: ${ERROR_DESCRIPTIONS[c]}`);
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}.\n\n${lines.join('\n')}`,
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } }
      : {}),
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['error'],
          properties: {
            // ErrorBody, with `code` narrowed to the codes this response can carry.
            error: {
              allOf: [{ $ref: '#/components/schemas/ErrorBody' }],
              type: 'object',
              required: ['code'],
              properties: { code: { type: 'string', enum: codes } },
            },
          },
        },
        example: example(codes),
      },
    },
  };
}

/**
 * The responses for these codes, by status: a $ref to a shared response (added to
 * `components` on first use) or an inline one.
 */
export function errorResponses(
  codes: Iterable<ErrorCode>,
  components: ComponentsObject,
): Record<string, ResponseObject | ReferenceObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, ResponseObject | ReferenceObject> = {};
  for (const status of [...byStatus.keys()].sort()) {
    const list = byStatus.get(status)!.sort(byDeclaration);
    const shared = Object.entries(SHARED_RESPONSES).find(
      ([, set]) => set.join() === [...list].join(),
    )?.[0];
    if (!shared) {
      out[status] = errorResponse(status, list);
      continue;
    }
    components.responses ??= {};
    components.responses[shared] ??= errorResponse(status, list);
    out[status] = { $ref: `#/components/responses/${shared}` };
  }
  return out;
}
