import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

/**
 * Runs several database "actors" (a job handler, a use case) at the same time, one SQL statement
 * at a time, in an order chosen by a list of numbers — so a test (or fast-check) can generate the
 * interleavings of concurrent transactions, not only the orders of whole jobs.
 *
 * Every statement an actor sends waits at a gate. The driver lets one statement through when
 * every live actor is settled: it has statements at its gate, or every statement it has in
 * flight waits for a row lock inside PostgreSQL (seen in pg_stat_activity). So the outcome
 * depends only on the choices, never on timing. At each step the next choice picks among the
 * actors with a statement at the gate (sorted by name), modulo their number.
 */
interface Gate {
  release: () => void;
  /** The statement's first words, for the trace. */
  sql: string;
}

interface ActorState {
  name: string;
  done: boolean;
  /** Statements waiting to be let through, oldest first (timers may add side branches). */
  gates: Gate[];
  /** Backend pids of the statements let through and not finished yet. */
  inFlight: number[];
}

const current = new AsyncLocalStorage<ActorState>();
let hooked = false;

/** Wraps the PostgreSQL query runner once per test file: statements of actors wait at a gate. */
function hookQueryRunner(): void {
  if (hooked) return;
  hooked = true;
  const proto = PostgresQueryRunner.prototype as unknown as {
    query: (this: PostgresQueryRunner, ...args: unknown[]) => Promise<unknown>;
  };
  const original = proto.query;
  proto.query = async function (this: PostgresQueryRunner, ...args: unknown[]) {
    const actor = current.getStore();
    // Outside an actor, or after it finished (a debounced NOTIFY fired later): pass.
    if (!actor || actor.done) return original.apply(this, args);
    // At the gate before taking a connection: a statement outside a transaction (a read after
    // a commit, one of several run side by side) held a pooled connection while it waited
    // there, and the actors' waiting statements could take every connection of the pool.
    await new Promise<void>((release) => {
      actor.gates.push({ release, sql: String(args[0]).replace(/\s+/g, ' ').trim().slice(0, 60) });
      changed();
    });
    const { processID } = (await this.connect()) as { processID: number };
    actor.inFlight.push(processID);
    try {
      return await original.apply(this, args);
    } finally {
      actor.inFlight.splice(actor.inFlight.indexOf(processID), 1);
      changed();
    }
  };
}

let wake: (() => void) | null = null;
function changed(): void {
  const w = wake;
  wake = null;
  w?.();
}
const nextChange = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

export interface InterleavingResult {
  /** Each actor's outcome, by name. */
  outcomes: Record<string, PromiseSettledResult<unknown>>;
  /** The statements in the order they were let through: "actor: first words of the SQL". */
  trace: string[];
}

/**
 * Runs the actors to completion under the given choices (missing choices count as 0) and
 * returns what each produced. `observer` is a DataSource used only to look at lock waits.
 */
export async function interleave(
  db: DataSource,
  actors: Record<string, () => Promise<unknown>>,
  choices: readonly number[],
): Promise<InterleavingResult> {
  hookQueryRunner();
  // The driver's own connection, taken before the actors start: looking at lock waits through
  // the pool could wait for a connection the actors hold while they wait for the driver.
  const observer = db.createQueryRunner();
  await observer.connect();
  try {
    return await drive(observer, actors, choices);
  } finally {
    await observer.release();
  }
}

/** With nothing let through for this long, the run is stuck: it fails, saying where. */
const STUCK_MS = 10_000;

async function drive(
  observer: QueryRunner,
  actors: Record<string, () => Promise<unknown>>,
  choices: readonly number[],
): Promise<InterleavingResult> {
  const states = Object.keys(actors)
    .sort()
    .map((name): ActorState => ({ name, done: false, gates: [], inFlight: [] }));
  const trace: string[] = [];
  const all = Promise.allSettled(
    states.map((state) =>
      current
        .run(state, () => actors[state.name]())
        .finally(() => {
          state.done = true;
          changed();
        }),
    ),
  );
  let step = 0;
  let progressAt = Date.now();
  let lastStep = -1;
  for (;;) {
    const live = states.filter((s) => !s.done);
    if (live.length === 0) break;
    if (step !== lastStep) [lastStep, progressAt] = [step, Date.now()];
    if (Date.now() - progressAt > STUCK_MS) {
      // Rather than Jest's bare timeout: what each actor was doing, and what the database says.
      const sessions: unknown[] = await observer.query(
        `SELECT pid, state, wait_event_type, wait_event, left(query, 80) AS query
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      throw new Error(
        `interleaving stuck for ${STUCK_MS} ms: ${JSON.stringify(
          live.map((a) => ({
            name: a.name,
            gates: a.gates.map((g) => g.sql),
            inFlight: a.inFlight,
          })),
        )}; sessions ${JSON.stringify(sessions)}; trace ${JSON.stringify(trace)}`,
      );
    }
    // Between two statements an actor runs JavaScript: wait for it to reach its next gate.
    if (live.some((s) => s.gates.length === 0 && s.inFlight.length === 0)) {
      await nextChange(5);
      continue;
    }
    const pids = live.flatMap((s) => s.inFlight);
    if (pids.length > 0) {
      const [{ waiting }]: { waiting: number }[] = await observer.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE pid = ANY($1) AND wait_event_type = 'Lock'`,
        [pids],
      );
      // A statement still executing: wait for it to finish (or to block on a lock).
      if (waiting < pids.length) {
        await nextChange(5);
        continue;
      }
    }
    const gated = live.filter((s) => s.gates.length > 0);
    if (gated.length === 0) {
      // Everyone waits for a lock: PostgreSQL's deadlock detector will end one of them.
      await nextChange(20);
      continue;
    }
    const pick = gated[(choices[step] ?? 0) % gated.length];
    step++;
    const gate = pick.gates.shift()!;
    trace.push(`${pick.name}: ${gate.sql}`);
    gate.release();
  }
  const results = await all;
  return {
    outcomes: Object.fromEntries(states.map((s, i) => [s.name, results[i]])),
    trace,
  };
}
