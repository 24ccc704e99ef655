import { EntityManager } from 'typeorm';

/**
 * Completes an executing run once no line is in flight: `completed_with_failures` while a failed
 * line waits for a retry or to be abandoned, else `completed`. Called after a line's own commit,
 * so it sees every committed line: of two last lines finishing together, the later check
 * completes the run. The unlocked look first keeps the run row's lock off the path of every
 * line (it was the bottleneck of a 50k-line run: each line waited for it).
 */
export async function completeRunIfDone(em: EntityManager, runId: string): Promise<void> {
  const [{ busy }]: { busy: boolean }[] = await em.query(
    `SELECT EXISTS (SELECT 1 FROM payout_lines
                     WHERE run_id = $1 AND status IN ('pending', 'processing')) AS busy`,
    [runId],
  );
  if (busy) return;
  await em.query(
    `UPDATE payout_runs r
        SET status = CASE WHEN EXISTS (SELECT 1 FROM payout_lines WHERE run_id = r.id AND status = 'failed')
                          THEN 'completed_with_failures' ELSE 'completed' END,
            completed_at = CASE WHEN r.status = 'executing' THEN now() ELSE r.completed_at END
      WHERE r.id = $1 AND r.status IN ('executing', 'completed_with_failures')
        AND NOT EXISTS (SELECT 1 FROM payout_lines
                         WHERE run_id = r.id AND status IN ('pending', 'processing'))`,
    [runId],
  );
}
