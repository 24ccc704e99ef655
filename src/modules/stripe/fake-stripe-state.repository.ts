import { EntityManager } from 'typeorm';

/** `fake_stripe_state`: the in-process fake Stripe's state, one JSON document. */
export class FakeStripeStateRepository {
  async load(em: EntityManager): Promise<Record<string, unknown> | null> {
    const [row]: { state: Record<string, unknown> }[] = await em.query(
      'SELECT state FROM fake_stripe_state WHERE id = 1',
    );
    return row?.state ?? null;
  }

  async save(em: EntityManager, state: string): Promise<void> {
    await em.query(
      `INSERT INTO fake_stripe_state (id, state) VALUES (1, $1::jsonb)
       ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [state],
    );
  }
}
