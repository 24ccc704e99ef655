import { plainToInstance } from 'class-transformer';
import { isUUID, validateSync } from 'class-validator';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { validationExceptionFactory } from '../common/errors/validation-errors';
import { isInstant } from '../common/validation/is-instant';
import { StaffPasswordInput, StaffUserInput, UserEmailInput } from './staff-user.input';

export const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  users:create --role finance|admin --email <email>
      Creates a staff user. The password comes from HANDOFF_PASSWORD, or is asked for.
  users:set-password --email <email>
      Sets any user's password (lost, or leaked) as users:create takes it, and signs the user
      out everywhere: every login ends and its event streams close (an access token already
      issued works on other routes until it expires, JWT_ACCESS_TTL_SECONDS).
  jobs:ping [--timeout <seconds>]
      Sends a job through outbox → relay → queue → worker and waits for it (needs a worker).
  stripe:replay
      Sends every Stripe event stored and not applied yet to its job again (after fixing what
      failed it: see the HandoffStripeEventsUnapplied alert). Safe to run again.
  stripe:fetch-events --since <instant>
      Stores the platform's Stripe events (transfer reversals, disputes, refunds, invoices,
      saved cards) Stripe has since the instant (e.g. 2030-05-01T12:00:00Z; it keeps 30 days)
      that the database lacks, and sends them to their jobs: after a restore lost events
      Stripe will not send again. Safe to run again.
  payouts:sync-accounts
      Reads every payout account still on the platform (a rejected one too) at Stripe and
      stores its state (after a release that reads more of it, or after Stripe's account
      events were lost). Safe to run again.
  payouts:book-transfer --line <payout line id>
      Looks for the line's transfer at Stripe and, if there is one, books it and marks the
      line paid: after a restore took back a line paid in the lost window (docs/operations.md,
      restoring). Exits 1 when Stripe holds none. Safe to run again.
  secrets:reencrypt
      Re-encrypts every stored webhook signing secret with SECRETS_ENCRYPTION_KEY (after a key
      rotation; the old key in SECRETS_ENCRYPTION_KEY_PREVIOUS). Safe to run again.
`;

/** How long Stripe keeps events (GET /v1/events lists no older ones). */
const STRIPE_EVENT_DAYS = 30;

/** A command line understood and checked: all a command needs before the application starts. */
export type CliCommand =
  | { name: 'users:create'; role: 'finance' | 'admin'; email: string; password: string }
  | { name: 'users:set-password'; email: string; password: string }
  | { name: 'jobs:ping'; timeoutSeconds: number }
  | { name: 'stripe:fetch-events'; since: Date }
  | { name: 'payouts:book-transfer'; line: string }
  | { name: 'stripe:replay' }
  | { name: 'payouts:sync-accounts' }
  | { name: 'secrets:reencrypt' };

const COMMANDS: readonly CliCommand['name'][] = [
  'users:create',
  'users:set-password',
  'jobs:ping',
  'stripe:replay',
  'stripe:fetch-events',
  'payouts:sync-accounts',
  'payouts:book-transfer',
  'secrets:reencrypt',
];

async function readPassword(): Promise<string> {
  if (process.env.HANDOFF_PASSWORD) return process.env.HANDOFF_PASSWORD;
  if (!process.stdin.isTTY) throw new Error('No TTY to prompt on: set HANDOFF_PASSWORD');
  const ask = (q: string) =>
    new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      let answered = false;
      // Ctrl-C or Ctrl-D closes the prompt unanswered. Nothing else holds the process open (the
      // application is not loaded yet), so it would end with 0, as if the command had worked.
      rl.on('close', () => {
        if (!answered) reject(new Error('Cancelled: no password was given'));
      });
      // Echo nothing while the password is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
        if (s.startsWith(q)) process.stdout.write(q);
      };
      rl.question(q, (answer) => {
        answered = true;
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('Password: ');
  if ((await ask('Repeat password: ')) !== first) throw new Error('Passwords do not match');
  return first;
}

/** The password, held to sign-up's rule: sign-in refuses any other. */
async function readValidPassword(): Promise<string> {
  const password = await readPassword();
  const problems = validateSync(plainToInstance(StaffPasswordInput, { password }));
  if (problems.length > 0) throw validationExceptionFactory(problems);
  return password;
}

/**
 * Reads the command line, and the password a command takes, before anything starts: a refusal
 * comes at once, not after the application has loaded and connected. Returns the command, or
 * the exit code once usage or a refusal is printed (2); throws on an invalid email, role or
 * password (exit 1, as the application's own refusals).
 */
export async function parseCommand(args: string[]): Promise<CliCommand | number> {
  const parsed = readArguments(args);
  if (typeof parsed === 'number') return parsed;
  const { positionals, values } = parsed;
  const name = COMMANDS.find((c) => c === positionals[0]);
  if (values.help || !name) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (name === 'jobs:ping') {
    // "abc" gave a deadline already past, and the misleading "the outbox relay did not pick the
    // job up".
    const timeoutSeconds = Number(values.timeout);
    if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
      return refuse(`--timeout must be a number of seconds above 0, not "${values.timeout}"`);
    }
    return { name, timeoutSeconds };
  }
  if (name === 'payouts:book-transfer') {
    if (!isUUID(values.line ?? '')) {
      return refuse(`--line must be a payout line's id, not "${values.line ?? ''}"`);
    }
    return { name, line: values.line! };
  }
  if (name === 'stripe:fetch-events') {
    const since = new Date(values.since ?? '');
    const problem = !isInstant(values.since)
      ? 'must be an instant with its zone, such as 2030-05-01T12:00:00Z'
      : since.getTime() > Date.now()
        ? 'is in the future'
        : null;
    if (problem) return refuse(`--since ${problem}, not "${values.since ?? ''}"`);
    if (Date.now() - since.getTime() > STRIPE_EVENT_DAYS * 86_400_000) {
      process.stderr.write(
        `Warning: Stripe keeps events ${STRIPE_EVENT_DAYS} days; older ones cannot be fetched\n`,
      );
    }
    return { name, since };
  }
  if (name === 'users:create' || name === 'users:set-password') {
    const input =
      name === 'users:create'
        ? plainToInstance(StaffUserInput, { role: values.role, email: values.email })
        : plainToInstance(UserEmailInput, { email: values.email });
    const errors = validateSync(input);
    if (errors.length > 0) throw validationExceptionFactory(errors);
    const password = await readValidPassword();
    return name === 'users:create'
      ? { name, role: values.role as 'finance' | 'admin', email: values.email!, password }
      : { name, email: values.email!, password };
  }
  return { name };
}

/** The options and positionals; a misspelled option or one without its value is refused (2). */
function readArguments(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        email: { type: 'string' },
        timeout: { type: 'string', default: '30' },
        since: { type: 'string' },
        line: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // parseArgs throws these for an unknown option or a missing value: an argument problem like
    // the others (they exited 1, as a failure of the command would).
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) return refuse((e as Error).message);
    throw e;
  }
}

function refuse(problem: string): number {
  process.stderr.write(`Error: ${problem}\n`);
  return 2;
}
