import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { AppModule } from './app.module';
import { startProcess } from './bootstrap/start-process';
import { validationExceptionFactory } from './common/errors/validation-errors';
import { isInstant } from './common/validation/is-instant';
import { DomainError } from './common/errors/domain-error';
import { toDomainError } from './common/errors/all-exceptions.filter';
import { QueuesService } from './modules/jobs/queues.service';
import { redisOptionsFromUrl } from './modules/jobs/redis-options';
import { OutboxService, outboxJobId } from './modules/outbox/outbox.service';
import { StripeEventsService } from './modules/payouts/stripe-events.service';
import { PayoutAccountRefresh } from './modules/payouts/payout-account-refresh.service';
import { PayoutLineBooking } from './modules/payouts/payout-line-booking.service';
import { UsersService } from './modules/users/users.service';
import { WebhookSecrets } from './modules/webhooks/webhook-secrets.service';
import { StaffPasswordInput, StaffUserInput, UserEmailInput } from './cli/staff-user.input';
import { AuthService } from './modules/auth/auth.service';
import { plainToInstance } from 'class-transformer';
import { isUUID, validateSync } from 'class-validator';

const USAGE = `Usage: npm run cli -- <command> [options]

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

async function readPassword(): Promise<string> {
  if (process.env.HANDOFF_PASSWORD) return process.env.HANDOFF_PASSWORD;
  if (!process.stdin.isTTY) throw new Error('No TTY to prompt on: set HANDOFF_PASSWORD');
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      // Echo nothing while the password is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
        if (s.startsWith(q)) process.stdout.write(q);
      };
      rl.question(q, (answer) => {
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

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
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
  const command = positionals[0];
  if (
    values.help ||
    !command ||
    ![
      'users:create',
      'users:set-password',
      'jobs:ping',
      'stripe:replay',
      'stripe:fetch-events',
      'payouts:sync-accounts',
      'payouts:book-transfer',
      'secrets:reencrypt',
    ].includes(command)
  ) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  // Checked before anything starts: "abc" gave a deadline already past, and the misleading
  // "the outbox relay did not pick the job up".
  const timeoutSeconds = Number(values.timeout);
  if (command === 'jobs:ping' && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
    process.stderr.write(
      `Error: --timeout must be a number of seconds above 0, not "${values.timeout}"\n`,
    );
    return 2;
  }
  if (command === 'payouts:book-transfer' && !isUUID(values.line ?? '')) {
    process.stderr.write(`Error: --line must be a payout line's id, not "${values.line ?? ''}"\n`);
    return 2;
  }
  const since = new Date(values.since ?? '');
  if (command === 'stripe:fetch-events') {
    const problem = !isInstant(values.since)
      ? 'must be an instant with its zone, such as 2030-05-01T12:00:00Z'
      : since.getTime() > Date.now()
        ? 'is in the future'
        : null;
    if (problem) {
      process.stderr.write(`Error: --since ${problem}, not "${values.since ?? ''}"\n`);
      return 2;
    }
    if (Date.now() - since.getTime() > STRIPE_EVENT_DAYS * 86_400_000) {
      process.stderr.write(
        `Warning: Stripe keeps events ${STRIPE_EVENT_DAYS} days; older ones cannot be fetched\n`,
      );
    }
  }
  if (command === 'users:create' || command === 'users:set-password') {
    const input =
      command === 'users:create'
        ? plainToInstance(StaffUserInput, { role: values.role, email: values.email })
        : plainToInstance(UserEmailInput, { email: values.email });
    const errors = validateSync(input);
    if (errors.length > 0) throw validationExceptionFactory(errors);
  }
  process.env.WORKERS = 'off';
  // The database the running processes use, as they left it: a command migrates nothing.
  const { env, log, stop } = await startProcess('cli', { existingDatabase: true });
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ env, logger: log, workers: false }),
    { logger: ['error', 'warn'] },
  );
  try {
    if (command === 'users:create') {
      const password = await readValidPassword();
      const user = await app
        .get(UsersService)
        .createStaff(values.email!, password, values.role as 'finance' | 'admin');
      process.stdout.write(`Created ${user.role} ${user.email} (${user.id})\n`);
    } else if (command === 'users:set-password') {
      const password = await readValidPassword();
      const user = await app.get(UsersService).setPassword(values.email!, password);
      if (!user) throw new DomainError('NOT_FOUND', `No user has the email ${values.email}`);
      const ended = await app.get(AuthService).signOutEverywhere(user.id);
      process.stdout.write(
        `Set the password of ${user.role} ${user.email} (${user.id}); ended ${ended} login(s)\n`,
      );
    } else if (command === 'stripe:replay') {
      const n = await app.get(StripeEventsService).replayUnprocessed();
      process.stdout.write(`Sent ${n} Stripe event(s) not applied yet to their jobs again\n`);
    } else if (command === 'stripe:fetch-events') {
      const { listed, stored } = await app.get(StripeEventsService).fetchSince(since);
      process.stdout.write(
        `Stripe has ${listed} event(s) of the kinds we apply since ${since.toISOString()}; ` +
          `stored the ${stored} the database lacked and sent them to their jobs\n`,
      );
    } else if (command === 'payouts:sync-accounts') {
      const { refreshed, unreadable, failed, stopped } = await app
        .get(PayoutAccountRefresh)
        .syncAll();
      process.stdout.write(`Stored the state at Stripe of ${refreshed} payout account(s)\n`);
      if (unreadable.length > 0) {
        process.stderr.write(
          `Stripe will not show these (left as stored): ${unreadable.join(', ')}\n`,
        );
      }
      if (stopped) {
        process.stderr.write(
          'Stopped: Stripe kept refusing several accounts in a row; the rest were not read. ' +
            'Run the command again once Stripe answers.\n',
        );
      }
      if (failed.length > 0) {
        // Stripe refused them for now (rate limit, outage) after a few tries: run it again.
        process.stderr.write(
          `Not read, Stripe kept refusing (left as stored; run the command again): ${failed.join(', ')}\n`,
        );
        return 1;
      }
    } else if (command === 'payouts:book-transfer') {
      const booked = await app.get(PayoutLineBooking).bookFoundTransfer(values.line!);
      if (booked.outcome === 'booked') {
        process.stdout.write(
          `Booked transfer ${booked.transferId} (${booked.amountMinor} minor units): the line is paid\n`,
        );
        if (booked.lineMinor !== booked.amountMinor) {
          process.stdout.write(
            `The line was for ${booked.lineMinor}: what the transfer moved is booked, the rest stays available\n`,
          );
        }
      } else if (booked.outcome === 'several') {
        process.stderr.write(
          `Stripe holds ${booked.transferIds.length} transfers for this line (${booked.transferIds.join(', ')}): ` +
            'the agent was paid more than once; nothing booked. Reverse the later ones in Stripe (earliest first above), then run this again\n',
        );
        return 1;
      } else if (booked.outcome === 'paid_already') {
        process.stdout.write('The line is paid already: nothing to book\n');
      } else {
        process.stderr.write(
          booked.outcome === 'not_found'
            ? 'Stripe holds no transfer for this line: nothing booked (it is sent as its run says)\n'
            : 'The line has no Stripe account: no transfer can exist for it\n',
        );
        return 1;
      }
    } else if (command === 'secrets:reencrypt') {
      const { reencrypted, failed } = await app.get(WebhookSecrets).reencryptAll();
      process.stdout.write(`Re-encrypted ${reencrypted} webhook secret(s) with the current key\n`);
      if (failed.length > 0) {
        // Keep the old keys until these are sorted out (their companies can set a new webhook).
        process.stderr.write(`Not readable with any configured key: ${failed.join(', ')}\n`);
        return 1;
      }
    } else {
      const id = await app
        .get(DataSource)
        .transaction((em) =>
          app
            .get(OutboxService)
            .enqueue(em, 'system.ping', { requestedAt: new Date().toISOString() }),
        );
      const events = new QueueEvents('default', {
        connection: redisOptionsFromUrl(env.REDIS_URL),
        prefix: env.QUEUE_PREFIX,
      });
      try {
        const queue = app.get(QueuesService).get('default');
        const deadline = Date.now() + timeoutSeconds * 1000;
        let job = await queue.getJob(outboxJobId(id));
        while (!job && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          job = await queue.getJob(outboxJobId(id));
        }
        if (!job) throw new Error('The outbox relay did not pick the job up: is a worker running?');
        const result = await job.waitUntilFinished(events, deadline - Date.now());
        process.stdout.write(`pong: ${JSON.stringify(result)}\n`);
      } finally {
        await events.close();
      }
    }
    return 0;
  } finally {
    await app.close();
    await stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    const known = e instanceof DomainError ? e : toDomainError(e);
    process.stderr.write(`Error: ${(known ?? (e as Error)).message}\n`);
    // The cause's own words when it was mapped (a database's refusal, say): the operator's
    // diagnosis, not only the API's answer.
    if (known && known !== e && e instanceof Error) process.stderr.write(`Cause: ${e.message}\n`);
    if (known?.details) process.stderr.write(`${JSON.stringify(known.details, null, 2)}\n`);
    process.exit(1);
  });
