import { NestFactory } from '@nestjs/core';
import { QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { startProcess } from '../bootstrap/start-process';
import { DomainError } from '../common/errors/domain-error';
import { AuthService } from '../modules/auth/auth.service';
import { QueuesService } from '../modules/jobs/queues.service';
import { redisOptionsFromUrl } from '../modules/jobs/redis-options';
import { OutboxService, outboxJobId } from '../modules/outbox/outbox.service';
import { PayoutAccountRefresh } from '../modules/payouts/payout-account-refresh.service';
import { PayoutLineBooking } from '../modules/payouts/payout-line-booking.service';
import { StripeEventsService } from '../modules/payouts/stripe-events.service';
import { UsersService } from '../modules/users/users.service';
import { WebhookSecrets } from '../modules/webhooks/webhook-secrets.service';
import type { CliCommand } from './cli-arguments';

/**
 * Runs a command already checked (parseCommand) in an application context of its own, against
 * the database the running processes use. Returns the exit code.
 */
export async function runCommand(command: CliCommand): Promise<number> {
  process.env.WORKERS = 'off';
  // The database the running processes use, as they left it: a command migrates nothing.
  const { env, log, stop } = await startProcess('cli', { existingDatabase: true });
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ env, logger: log, workers: false }),
    { logger: ['error', 'warn'] },
  );
  try {
    if (command.name === 'users:create') {
      const user = await app
        .get(UsersService)
        .createStaff(command.email, command.password, command.role);
      process.stdout.write(`Created ${user.role} ${user.email} (${user.id})\n`);
    } else if (command.name === 'users:set-password') {
      const set = await app.get(AuthService).setPasswordEverywhere(command.email, command.password);
      if (!set) throw new DomainError('NOT_FOUND', `No user has the email ${command.email}`);
      const { user, ended } = set;
      process.stdout.write(
        `Set the password of ${user.role} ${user.email} (${user.id}); ended ${ended} login(s)\n`,
      );
    } else if (command.name === 'stripe:replay') {
      const n = await app.get(StripeEventsService).replayUnprocessed();
      process.stdout.write(`Sent ${n} Stripe event(s) not applied yet to their jobs again\n`);
    } else if (command.name === 'stripe:fetch-events') {
      const { since } = command;
      const { listed, stored } = await app.get(StripeEventsService).fetchSince(since);
      process.stdout.write(
        `Stripe has ${listed} event(s) of the kinds we apply since ${since.toISOString()}; ` +
          `stored the ${stored} the database lacked and sent them to their jobs\n`,
      );
    } else if (command.name === 'payouts:sync-accounts') {
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
    } else if (command.name === 'payouts:book-transfer') {
      const booked = await app.get(PayoutLineBooking).bookFoundTransfer(command.line);
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
    } else if (command.name === 'secrets:reencrypt') {
      const { reencrypted, failed } = await app.get(WebhookSecrets).reencryptAll();
      process.stdout.write(`Re-encrypted ${reencrypted} webhook secret(s) with the current key\n`);
      if (failed.length > 0) {
        // Keep the old keys until these are sorted out (their companies can set a new webhook).
        process.stderr.write(`Not readable with any configured key: ${failed.join(', ')}\n`);
        return 1;
      }
    } else if (command.name === 'jobs:ping') {
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
        const deadline = Date.now() + command.timeoutSeconds * 1000;
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
    } else {
      // Every command has its branch: one added to CliCommand without one fails to compile.
      const unhandled: never = command;
      throw new Error(`No handler for ${JSON.stringify(unhandled)}`);
    }
    return 0;
  } finally {
    await app.close();
    await stop();
  }
}
