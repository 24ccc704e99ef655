import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An agent's display name, which companies and their bots see, was its email's local part until
 * it named itself ("jane.doe" for jane.doe@example.com): every agent whose name is still exactly
 * that gets the neutral one new agents get ("Agent " and its id's first 8 digits,
 * defaultDisplayName). One who chose that very name loses it and can set it again; a name that
 * gives the address away is not kept on the chance it was chosen.
 */
export class NeutralAgentNames1796670000000 implements MigrationInterface {
  name = 'NeutralAgentNames1796670000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE agents a SET display_name = 'Agent ' || left(a.user_id::text, 8), updated_at = now()
        FROM users u
       WHERE u.id = a.user_id AND a.display_name = left(split_part(u.email, '@', 1), 100)`);
  }

  /** The old names are not kept: a revert leaves the neutral ones (agents can rename). */
  async down(): Promise<void> {}
}
