import {
  CreditControlRow,
  liftAnswersHold,
  liftCovers,
  liftTermsFor,
} from './credit-controls.repository';

const now = new Date('2030-05-04T10:00:00Z');
const later = new Date('2030-05-05T10:00:00Z');
const row = (over: Partial<CreditControlRow>): CreditControlRow => ({
  company_id: 'c',
  credit_limit_minor: null,
  credit_limits_by_currency: {},
  hold_reason: null,
  hold_since: null,
  hold_details: null,
  hold_invoice_ids: [],
  lifted_until: null,
  lifted_by: null,
  lift_reason: null,
  lifted_hold_reason: null,
  lifted_hold_since: null,
  lifted_invoice_ids: [],
  lift_covers_limit: false,
  ...over,
});
/** The row once the lift `liftTermsFor` gives is stored. */
const lifted = (held: CreditControlRow): CreditControlRow => {
  const l = liftTermsFor(held, { until: later, by: 'f', reason: 'r' });
  return {
    ...held,
    lifted_until: l.until,
    lifted_hold_reason: l.holdReason,
    lifted_hold_since: l.holdSince,
    lifted_invoice_ids: l.invoiceIds,
    lift_covers_limit: l.coversLimit,
  };
};

describe('lifts of a credit hold', () => {
  it('an invoice lift answers its invoices, not the credit limit', () => {
    const r = lifted(row({ hold_reason: 'past_due', hold_invoice_ids: ['i1'] }));
    expect(liftCovers(r, ['i1'], now)).toEqual({ invoices: true, limit: false });
    expect(liftCovers(r, ['i1', 'i2'], now)).toEqual({ invoices: false, limit: false });
  });

  it('the limit lifted under a running invoice lift joins it: both answered', () => {
    const invoices = lifted(row({ hold_reason: 'past_due', hold_invoice_ids: ['i1'] }));
    const both = lifted({ ...invoices, hold_reason: 'credit_limit', hold_invoice_ids: [] });
    expect(liftCovers(both, ['i1'], now)).toEqual({ invoices: true, limit: true });
    expect(liftAnswersHold(both, now)).toBe(true);
    expect(
      liftAnswersHold({ ...both, hold_reason: 'past_due', hold_invoice_ids: ['i1'] }, now),
    ).toBe(true);
  });

  it('invoices lifted under a running lift of the limit keep the limit answered', () => {
    const limit = lifted(row({ hold_reason: 'credit_limit' }));
    expect(liftCovers(limit, [], now)).toEqual({ invoices: false, limit: true });
    const both = lifted({ ...limit, hold_reason: 'past_due', hold_invoice_ids: ['i1'] });
    expect(liftCovers(both, ['i1'], now)).toEqual({ invoices: true, limit: true });
  });

  it('an ended lift answers nothing, and a lift before lifts named their hold answers any', () => {
    const ended = lifted(row({ hold_reason: 'past_due', hold_invoice_ids: ['i1'] }));
    expect(liftCovers(ended, ['i1'], later)).toEqual({ invoices: false, limit: false });
    const legacy = row({ lifted_until: later, hold_reason: 'credit_limit' });
    expect(liftCovers(legacy, ['i9'], now)).toEqual({ invoices: true, limit: true });
  });
});
