/**
 * The typed client of the Handoff API: openapi-fetch over the types generated from the OpenAPI
 * document (api.ts, `npm run client:generate`). Paths, parameters, bodies, answers and each
 * operation's error codes are checked by the compiler:
 *
 *   const api = createHandoffClient({ baseUrl: 'https://handoff.example', token: accessToken });
 *   const { data, error } = await api.GET('/v1/shifts/{id}', { params: { path: { id } } });
 *   if (error) … error.error.code …              // the codes this operation documents
 *   const shift = await unwrap(api.POST('/v1/shifts', { body }));   // or throw ApiError
 *
 * Browser-safe (fetch only): the bench, the demo and the console (web/) share it.
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './api';

export type { components, operations, paths };
export type HandoffClient = Client<paths>;
/** The document's schemas by name: `Schemas['ShiftDto']`. */
export type Schemas = components['schemas'];
export type ErrorCode = Schemas['ErrorCode'];
/** What every error answer carries (each operation's `error` narrows `code` further). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown; requestId: string | null };
}

/**
 * A user's access token or a company bot's API key, or a function asked before each request
 * (a console that refreshes its token); undefined sends no Authorization header.
 */
export type Credential = string | (() => string | undefined | Promise<string | undefined>);

export interface HandoffClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The API's origin, e.g. https://handoff.example (the paths carry /v1). */
  baseUrl: string;
  token?: Credential;
}

/** A Response does not say which request asked for it; errors and step failures want to. */
const requests = new WeakMap<Response, Request>();
const rememberRequest: Middleware = {
  onResponse({ request, response }) {
    requests.set(response, request);
    return undefined;
  },
};

export function createHandoffClient({ token, ...options }: HandoffClientOptions): HandoffClient {
  const client = createClient<paths>(options);
  client.use(rememberRequest);
  if (token !== undefined) client.use(bearerAuth(token));
  return client;
}

/** Middleware that signs every request without an Authorization header of its own. */
export function bearerAuth(token: Credential): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('Authorization')) return undefined;
      const value = typeof token === 'function' ? await token() : token;
      if (value) request.headers.set('Authorization', `Bearer ${value}`);
      return undefined;
    },
  };
}

/** Headers for one request as a given caller: `api.GET(path, { headers: bearer(key) })`. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An error answer of the API, with its parsed body when it has the documented shape. */
export class ApiError extends Error {
  readonly code: ErrorCode | undefined;
  readonly details: unknown;
  readonly requestId: string | null;

  constructor(
    readonly status: number,
    /** The parsed JSON body (ErrorBody when the API answered), or the text of another body. */
    readonly body: unknown,
    /** `METHOD /path` of the request. */
    readonly request: string,
  ) {
    const error = isErrorBody(body) ? body.error : undefined;
    super(
      `${request} → HTTP ${status}` +
        (error ? ` ${error.code}: ${error.message}` : body ? `: ${excerpt(body)}` : ''),
    );
    this.name = 'ApiError';
    this.code = error?.code;
    this.details = error?.details;
    this.requestId = error?.requestId ?? null;
  }
}

const excerpt = (body: unknown) =>
  (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 500);

export function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as Partial<ErrorBody> | null)?.error;
  return typeof error === 'object' && error !== null && typeof error.code === 'string';
}

/** What every openapi-fetch call resolves to. */
export interface ApiAnswer<D = unknown> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** `METHOD /path?query` of the request behind an answer of a HandoffClient. */
export function requestLine(response: Response): string {
  const request = requests.get(response);
  if (!request) return response.url || '(unknown request)';
  const url = new URL(request.url);
  return `${request.method} ${url.pathname}${url.search}`;
}

/**
 * The data of a successful answer, or an ApiError for an error answer. An answer without a body
 * (204) resolves to undefined.
 */
export async function unwrap<D>(call: Promise<ApiAnswer<D>>): Promise<D> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error, requestLine(response));
  return data as D;
}
