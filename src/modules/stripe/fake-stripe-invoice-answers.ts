import type { Answer, StripeObject } from './fake-stripe-billing';

/* An invoice as the fake Stripe holds it, and what every part of its invoicing answers with:
 * Stripe's 400, and the invoice as the request asked for it (expanded or not). */

export type Invoice = StripeObject & {
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  customer: string;
  currency: string;
  total: number;
  attempt_count: number;
  lines: { object: 'list'; data: StripeObject[] };
  status_transitions: Record<string, number | null>;
};

export const invalid = (message: string, param?: string, code?: string): Answer => [
  400,
  {
    error: {
      type: 'invalid_request_error',
      message,
      ...(param ? { param } : {}),
      ...(code ? { code } : {}),
    },
  },
];

/** Whether the request asked for `field` (`expand[]`: nested in a form body, flat in a query). */
function expands(p: Record<string, unknown>, field: string): boolean {
  const nested = p.expand && typeof p.expand === 'object' ? Object.values(p.expand) : [];
  const flat = Object.entries(p).flatMap(([k, v]) => (k.startsWith('expand[') ? [v] : []));
  return [...nested, ...flat].includes(field);
}

/**
 * An invoice as Stripe answers it: `amount_paid_off_stripe` only when the request expanded it
 * (an answer that did not, like every event, has no such field).
 */
export function asAsked(answer: Answer | null, p: Record<string, unknown>): Answer | null {
  if (!answer || answer[0] !== 200 || expands(p, 'amount_paid_off_stripe')) return answer;
  return [answer[0], withoutPaidOffStripe(answer[1] as StripeObject)];
}

/** The invoice without the field Stripe gives only when expanded. */
export function withoutPaidOffStripe(object: StripeObject): StripeObject {
  if (object.object !== 'invoice' || !('amount_paid_off_stripe' in object)) return object;
  const { amount_paid_off_stripe: _omitted, ...rest } = object;
  return rest as StripeObject;
}
