import { ApiError } from '../../../src/client/client';

/** One `details.fields` entry of a VALIDATION_FAILED answer. */
type FieldProblem = { field: string; messages: string[] };

export interface Problem {
  /** For the Alert: the message, or the field problems no input of the form shows. */
  message: string | null;
  /** The API's error code, to branch on (never on the message). */
  code: string | undefined;
  requestId: string | null;
  /** The messages for one input, joined; undefined when it has none. */
  field: (name: string) => string | undefined;
}

function fieldProblems(error: ApiError): FieldProblem[] {
  const fields = (error.details as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter(
    (f): f is FieldProblem => typeof f?.field === 'string' && Array.isArray(f.messages),
  );
}

/** An input shows the problems of its own field and of any field nested under it. */
const covers = (input: string, field: string) => field === input || field.startsWith(`${input}.`);

/**
 * Splits an error between a form's inputs and its Alert: each validation message goes under
 * the input its field names (`skills.2.level` under the input named `skills.2` or `skills`);
 * everything else (other codes, fields the form has no input for) is the Alert's message.
 */
export function problemOf(error: unknown, inputs: readonly string[] = []): Problem | null {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    // fetch's own failure (no answer at all): "Failed to fetch", "NetworkError…", "Load failed".
    const offline = error instanceof TypeError && /fetch|network|load failed/i.test(error.message);
    return {
      message: offline
        ? 'Handoff could not be reached. Check your connection and try again.'
        : error instanceof Error
          ? error.message
          : String(error),
      code: undefined,
      requestId: null,
      field: () => undefined,
    };
  }
  const problems = fieldProblems(error);
  const shown = problems.filter((p) => inputs.some((input) => covers(input, p.field)));
  const unshown = problems.filter((p) => !shown.includes(p));
  // The API's message names its route; the console asked for the password, which was not given.
  const bodyMessage =
    error.code === 'RECENT_SIGN_IN_REQUIRED'
      ? 'This needs your password again: try once more, and enter it when asked.'
      : (error.body as { error?: { message?: string } } | null)?.error?.message;
  let message: string | null = bodyMessage ?? notTheApi(error.status);
  if (problems.length > 0) {
    message = unshown.length > 0 ? unshown.flatMap((p) => p.messages).join(' ') : null;
  }
  return {
    message,
    code: error.code,
    requestId: error.requestId,
    field: (name) => {
      const messages = shown.filter((p) => covers(name, p.field)).flatMap((p) => p.messages);
      return messages.length > 0 ? messages.join(' ') : undefined;
    },
  };
}

/**
 * An answer without the API's error body: a proxy's or balancer's page (502, 504 during a
 * deploy), whose HTML means nothing to the reader.
 */
function notTheApi(status: number): string {
  const passing = status >= 500 || status === 429 || status === 408;
  return `Handoff answered HTTP ${status} without saying why${passing ? ': try again in a moment' : ''}.`;
}
