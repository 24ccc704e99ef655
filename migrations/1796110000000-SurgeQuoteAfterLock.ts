import { MigrationInterface, QueryRunner } from 'typeorm';

/** surge_quote's text; `multiplierAsPaid` (SurgeMultiplierAsPaid) rewrites a capped multiplier. */
function surgeQuote(multiplierAsPaid: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION surge_quote(p_shift uuid, p_reserve boolean,
                                  OUT multiplier_bps int, OUT extra_minor bigint)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        s record;
        open_n bigint;
        agents_n bigint;
        over bigint;
        left_minor bigint;
      BEGIN
        multiplier_bps := 10000;
        extra_minor := 0;
        SELECT company_id, rate_amount_minor, surge_max_multiplier_bps AS max_bps,
               surge_open_tickets_per_agent AS per_agent, surge_budget_minor AS budget
          INTO s FROM shifts WHERE id = p_shift;
        IF s.max_bps IS NULL THEN RETURN; END IF;
        IF p_reserve THEN
          PERFORM surge_lock(p_shift);
          -- A change of the shift's surge commits under this lock: what was read above may
          -- predate one that committed while this waited, so read the settings again.
          SELECT company_id, rate_amount_minor, surge_max_multiplier_bps AS max_bps,
                 surge_open_tickets_per_agent AS per_agent, surge_budget_minor AS budget
            INTO s FROM shifts WHERE id = p_shift;
          IF s.max_bps IS NULL THEN RETURN; END IF;
        END IF;
        SELECT count(*) INTO agents_n FROM shift_claims
         WHERE shift_id = p_shift AND status = 'checked_in';
        IF agents_n = 0 THEN RETURN; END IF;
        SELECT count(*) INTO open_n FROM tickets WHERE company_id = s.company_id AND status = 'open';
        -- open ÷ agents > per_agent, in integers: how far past the threshold, capped at 2×.
        over := least(open_n - s.per_agent * agents_n, s.per_agent * agents_n);
        IF over <= 0 THEN RETURN; END IF;
        left_minor := s.budget - surge_committed(p_shift);
        IF left_minor <= 0 THEN RETURN; END IF;
        multiplier_bps := 10000 + ((s.max_bps - 10000) * over) / (s.per_agent * agents_n);
        extra_minor := least((s.rate_amount_minor * (multiplier_bps - 10000)) / 10000, left_minor);
        IF extra_minor <= 0 THEN
          multiplier_bps := 10000;
          extra_minor := 0;
        END IF;${
          multiplierAsPaid
            ? `
        -- Capped by the budget: the multiplier says what the extra pays, rounded down.
        IF extra_minor > 0
           AND (s.rate_amount_minor * (multiplier_bps - 10000)) / 10000 > left_minor THEN
          multiplier_bps := 10000 + (extra_minor * 10000) / s.rate_amount_minor;
        END IF;`
            : ''
        }
      END
      $$`;
}

/**
 * surge_quote read the shift's surge settings before taking the shift's surge lock, so a claim
 * that waited on the lock behind a change of the budget (or multiplier) used the settings from
 * before it: lowered from 1000 to 400 with 300 committed, a waiting claim still saw 700 left.
 * Now the settings are read again once the lock is held. (The first read stays: a shift
 * without surge returns before taking any lock.)
 */
export class SurgeQuoteAfterLock1796110000000 implements MigrationInterface {
  name = 'SurgeQuoteAfterLock1796110000000';

  /** The function's text, for later migrations. */
  static readonly surgeQuote = surgeQuote;

  async up(q: QueryRunner): Promise<void> {
    await q.query(surgeQuote(false));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION surge_quote(p_shift uuid, p_reserve boolean,
                                  OUT multiplier_bps int, OUT extra_minor bigint)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        s record;
        open_n bigint;
        agents_n bigint;
        over bigint;
        left_minor bigint;
      BEGIN
        multiplier_bps := 10000;
        extra_minor := 0;
        SELECT company_id, rate_amount_minor, surge_max_multiplier_bps AS max_bps,
               surge_open_tickets_per_agent AS per_agent, surge_budget_minor AS budget
          INTO s FROM shifts WHERE id = p_shift;
        IF s.max_bps IS NULL THEN RETURN; END IF;
        IF p_reserve THEN
          PERFORM surge_lock(p_shift);
        END IF;
        SELECT count(*) INTO agents_n FROM shift_claims
         WHERE shift_id = p_shift AND status = 'checked_in';
        IF agents_n = 0 THEN RETURN; END IF;
        SELECT count(*) INTO open_n FROM tickets WHERE company_id = s.company_id AND status = 'open';
        -- open ÷ agents > per_agent, in integers: how far past the threshold, capped at 2×.
        over := least(open_n - s.per_agent * agents_n, s.per_agent * agents_n);
        IF over <= 0 THEN RETURN; END IF;
        left_minor := s.budget - surge_committed(p_shift);
        IF left_minor <= 0 THEN RETURN; END IF;
        multiplier_bps := 10000 + ((s.max_bps - 10000) * over) / (s.per_agent * agents_n);
        extra_minor := least((s.rate_amount_minor * (multiplier_bps - 10000)) / 10000, left_minor);
        IF extra_minor <= 0 THEN
          multiplier_bps := 10000;
          extra_minor := 0;
        END IF;
      END
      $$`);
  }
}
