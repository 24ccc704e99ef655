/*
 * The docs check: every ```sh block of docs/api.md is run as written, in order, with bash
 * against a fresh instance, and each request's HTTP status must be the one the comment after
 * the command states (`# 201 …`). Variables a block assigns ($COMPANY_TOKEN, $SHIFT_ID…) carry
 * over to the blocks after it, as in the reader's terminal. The rules a block follows are in
 * test/support/docs-check.ts.
 *
 * Adding a journey: write its ```sh block in docs/api.md with a status comment after each
 * command, using the variables earlier blocks set; nothing here changes. If it needs what the
 * API cannot do in a moment (time to pass, staff users from the CLI, another agent), put
 * `<!-- docs-check: given <situation> -->` above it and add <situation> to GIVEN below: a
 * function that makes it so through the test app (it may read and set the shell variables). A
 * block that cannot run gets `<!-- docs-check: skip: <reason> -->`; it shows as skipped here.
 *
 * Needs bash, curl, jq and GNU date (the docs' own requirements). DOCS_CHECK_KEEP=1 keeps the
 * work directory (each block's requests and answers) and says where it is.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRIPE_SETTINGS, StripeSettings } from '../src/modules/stripe/stripe.module';
import { UsersService } from '../src/modules/users/users.service';
import { WEBHOOK_RESOLVER } from '../src/modules/webhooks/webhook-resolver';
import { blockScript, DocBlock, readBlocks } from './support/docs-check';
import { createApiKey, PASSWORD, registerAgent, registerCompany } from './support/factories';
import { fund, onboarded } from './support/money';
import { inMinutes, moveShift, shiftBody } from './support/shifts';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { fakeResolver } from './support/webhooks';

const DOC = join(__dirname, '..', 'docs', 'api.md');
const BLOCK_TIMEOUT_MS = 60_000;

interface Context {
  t: TestApp;
  /** The shell variables so far: the docs' assignments and what GIVEN set. */
  vars: Record<string, string>;
}

const need = (ctx: Context, name: string): string => {
  const v = ctx.vars[name];
  if (!v) throw new Error(`this situation needs $${name} from an earlier block`);
  return v;
};

interface PayoutLine {
  id: string;
  agentId: string;
  status: string;
}
/** The Stripe account of the line 'a run with a line Stripe refused' made. */
let refusedAccount: string | undefined;
let refusedRuns = 0;

/** Situations a block needs that the API alone cannot make in a moment. */
const GIVEN: Record<string, (ctx: Context) => Promise<void>> = {
  /** Another agent holds the only seat of a later shift of the same company. */
  'another agent filled a one-seat shift': async ({ t, vars }) => {
    const company = { Authorization: `Bearer ${need({ t, vars }, 'COMPANY_TOKEN')}` };
    const start = inMinutes(2 * 24 * 60);
    const shift = await t.http
      .post('/v1/shifts')
      .set(company)
      .send(
        shiftBody({
          title: 'Weekend cover',
          seats: 1,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 4 * 3_600_000).toISOString(),
        }),
      )
      .expect(201);
    const other = await registerAgent(t);
    await t.http.post(`/v1/shifts/${shift.body.id}/claims`).set(other.auth).expect(201);
  },
  /** Tomorrow has come: the shift started five minutes ago and check-in is open. */
  'the shift has started': async ({ t, vars }) => {
    const shiftId = need({ t, vars }, 'SHIFT_ID');
    await moveShift(t, shiftId, inMinutes(-5), inMinutes(120));
    await t.db.query(
      `UPDATE shift_claims SET check_in_deadline = now() + interval '10 minutes'
        WHERE shift_id = $1`,
      [shiftId],
    );
  },
  /** The workers have tried each delivery (the endpoint's name does not resolve here). */
  'the webhook deliveries have been attempted': async ({ t, vars }) => {
    const company = { Authorization: `Bearer ${need({ t, vars }, 'COMPANY_TOKEN')}` };
    await waitFor(async () => {
      const res = await t.http.get('/v1/companies/me/webhook-deliveries').set(company);
      const items = res.body.items as { status: string }[];
      return items.length > 0 && items.every((d) => d.status !== 'pending');
    }, 'every webhook delivery to be attempted');
  },
  /** The agent disconnected their Stripe account (Stripe sends account.application.deauthorized). */
  "the agent's Stripe account left the platform": async ({ t, vars }) => {
    const agent = { Authorization: `Bearer ${need({ t, vars }, 'AGENT_TOKEN')}` };
    const account = () => t.http.get('/v1/agents/me/payout-account').set(agent).expect(200);
    await t.app
      .get<StripeSettings>(STRIPE_SETTINGS)
      .fake!.deauthorize((await account()).body.stripeAccountId as string);
    await waitFor(async () => (await account()).body.closedReason !== null, 'the account closed');
  },
  /**
   * A run (drafted by $FINANCE_TOKEN, approved by $CHECKER_TOKEN) has completed with one line
   * failed: Stripe refused the transfer (the agent's account restricted). Sets $RUN_ID and
   * $LINE_ID to that run and line. Each time in a currency of its own: the run before may still
   * be sending its retried line (one open run per currency).
   */
  'a run with a line Stripe refused': async (ctx) => {
    const finance = { Authorization: `Bearer ${need(ctx, 'FINANCE_TOKEN')}` };
    const checker = { Authorization: `Bearer ${need(ctx, 'CHECKER_TOKEN')}` };
    const { t } = ctx;
    const fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    const agent = await registerAgent(t);
    const account = await onboarded(t, fake, agent.id);
    fake.updateAccount(account, { capabilities: { transfers: 'inactive' } });
    const currency = ['SEK', 'NOK', 'DKK'][refusedRuns++];
    await fund(t, agent.id, 4000, currency);
    const run = await t.http.post('/v1/payout-runs').set(finance).send({ currency }).expect(201);
    await t.http.post(`/v1/payout-runs/${run.body.id}/approve`).set(checker).expect(200);
    await t.http.post(`/v1/payout-runs/${run.body.id}/execute`).set(finance).expect(202);
    const lines = await waitFor(async () => {
      const res = await t.http.get(`/v1/payout-runs/${run.body.id}`).set(finance).expect(200);
      return res.body.status === 'completed_with_failures' && (res.body.lines as PayoutLine[]);
    }, 'the run to complete with a failed line');
    ctx.vars.RUN_ID = run.body.id as string;
    ctx.vars.LINE_ID = lines.find((l) => l.agentId === agent.id && l.status === 'failed')!.id;
    refusedAccount = account;
  },
  /** Stripe lifted the restriction on that line's account, and its account.updated applied. */
  'the agent fixed their account': async ({ t }) => {
    t.app
      .get<StripeSettings>(STRIPE_SETTINGS)
      .fake!.updateAccount(refusedAccount!, { capabilities: { transfers: 'active' } });
    await t.db.query(
      'UPDATE payout_accounts SET payouts_enabled = true WHERE stripe_account_id = $1',
      [refusedAccount],
    );
  },
  /**
   * Another company's push shift (offers held 2 minutes), live, with one agent checked in and
   * two of its bot's escalations offered to her. Sets $TOKEN to her bearer token.
   */
  'an agent checked in on a push shift with two tickets offered': async (ctx) => {
    const { t } = ctx;
    const company = await registerCompany(t, 'Push Desk Ltd');
    const bot = await createApiKey(t, company);
    const {
      agents: [agent],
    } = await liveAgents(t, company.auth, 1, {}, { routing: 'push', offerSeconds: 120 });
    for (let i = 0; i < 2; i++) await escalate(t, bot);
    await waitFor(async () => {
      const res = await t.http.get('/v1/agents/me/offers').set(agent.auth).expect(200);
      return (res.body.items as unknown[]).length === 2;
    }, 'two offers');
    ctx.vars.TOKEN = agent.auth.Authorization.replace(/^Bearer /, '');
  },
  /** The operator created two finance users with the CLI (its use case, called directly). */
  'finance users ava@ops.example and bo@ops.example': async ({ t }) => {
    for (const email of ['ava@ops.example', 'bo@ops.example']) {
      await t.app.get(UsersService).createStaff(email, PASSWORD, 'finance');
    }
  },
  /** The operator created a support admin with the CLI (its use case, called directly). */
  'an admin user support@ops.example': async ({ t }) => {
    await t.app.get(UsersService).createStaff('support@ops.example', PASSWORD, 'admin');
  },
  /** The operator created an admin with the CLI (its use case, called directly). */
  'an admin user ops@ops.example': async ({ t }) => {
    await t.app.get(UsersService).createStaff('ops@ops.example', PASSWORD, 'admin');
  },
};

function checkTools(): void {
  const missing = ['bash', 'curl', 'jq'].filter((tool) => {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  try {
    execFileSync('date', ['-u', '-d', '+1 day', '+%F'], { stdio: 'ignore' });
  } catch {
    missing.push('GNU date');
  }
  if (missing.length > 0) {
    throw new Error(`The docs check runs the docs' commands and needs: ${missing.join(', ')}`);
  }
}

/** Runs one block's script; resolves with its exit code and output. */
function runBash(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(killed after ${BLOCK_TIMEOUT_MS} ms)`;
      proc.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** NAME\0VALUE\0 pairs, as the script writes them. */
function readVars(path: string): Record<string, string> {
  const parts = readFileSync(path, 'utf8').split('\0');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]] = parts[i + 1];
  return out;
}

const title = (b: DocBlock) => `${b.section || 'intro'} (docs/api.md line ${b.line})`;

describe('docs/api.md: the journeys run as written', () => {
  const blocks = readBlocks(DOC);
  let ctx: Context;
  let dir: string;
  let failedAt: string | null = null;

  beforeAll(async () => {
    checkTools();
    dir = mkdtempSync(join(tmpdir(), 'handoff-docs-'));
    if (process.env.DOCS_CHECK_KEEP) process.stdout.write(`docs check work directory: ${dir}\n`);
    const t = await createTestApp({
      workers: true,
      env: {
        // As in production: the docs show a non-public webhook URL refused.
        WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
        // The docs' endpoint does not resolve here (no DNS in tests): one attempt, then failed.
        WEBHOOK_ATTEMPTS: '1',
      },
      overrideProviders: [{ provide: WEBHOOK_RESOLVER, useValue: fakeResolver(new Map()) }],
    });
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // The fake Stripe's hosted onboarding page reports back to PORT; the app listens elsewhere.
    const fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    fake.connectWebhook = {
      url: `http://127.0.0.1:${port}/v1/stripe/connect-webhooks`,
      secret: fake.connectWebhook!.secret,
    };
    ctx = { t, vars: { API: `http://127.0.0.1:${port}` } };
  });
  afterAll(async () => {
    await ctx?.t.close();
    // DOCS_CHECK_KEEP=1 keeps each block's requests and answers (block-N/calls.log) to look at.
    if (dir && !process.env.DOCS_CHECK_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('every block is run or says why not, and each situation it needs is known', () => {
    const unmarked = blocks.filter((b) => b.lang !== 'sh' && !(b.marker && 'skip' in b.marker));
    expect(unmarked.map(title)).toEqual([]);
    const unknown = blocks.flatMap((b) =>
      b.marker && 'given' in b.marker ? b.marker.given.filter((g) => !GIVEN[g]) : [],
    );
    expect(unknown).toEqual([]);
    expect(blocks.filter((b) => b.lang === 'sh' && !b.marker).length).toBeGreaterThan(5);
  });

  blocks.forEach((block, index) => {
    if (block.marker && 'skip' in block.marker) {
      it.skip(`${title(block)}: not run, ${block.marker.skip}`, () => undefined);
      return;
    }
    if (block.lang !== 'sh') return; // reported by the test above
    it(
      title(block),
      async () => {
        if (failedAt) throw new Error(`not run: the block at ${failedAt} failed first`);
        failedAt = title(block);
        for (const situation of block.marker && 'given' in block.marker ? block.marker.given : []) {
          await GIVEN[situation](ctx);
        }
        const { script, assigns, checks, docsLine } = blockScript(block);
        const work = join(dir, `block-${index}`);
        mkdirSync(work);
        const files = {
          DOCS_TMP: work,
          DOCS_LOG: join(work, 'calls.log'),
          DOCS_CHECKS: join(work, 'checks.log'),
          DOCS_VARS: join(work, 'vars'),
        };
        writeFileSync(files.DOCS_LOG, '');
        writeFileSync(files.DOCS_CHECKS, '');
        const { code, output } = await runBash(
          script,
          {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? '/tmp',
            LANG: 'C.UTF-8',
            ...ctx.vars,
            ...files,
          },
          dir,
        );
        if (code !== 0 || !output.includes('DOCS-BLOCK-DONE')) {
          const said = output
            .slice(-4000)
            .replace(/script line (\d+)/g, (_, n: string) => `docs line ${docsLine(Number(n))}`);
          throw new Error(`the block stopped (exit ${code}):\n${said}`);
        }
        const passed = readFileSync(files.DOCS_CHECKS, 'utf8').trim().split('\n').filter(Boolean);
        expect(passed).toHaveLength(checks);
        const set = readVars(files.DOCS_VARS);
        for (const name of assigns) {
          // "null" is what jq prints for a field the answer lacked.
          expect({ [name]: set[name] }).not.toEqual({ [name]: 'null' });
          ctx.vars[name] = set[name];
        }
        failedAt = null;
      },
      BLOCK_TIMEOUT_MS + 30_000,
    );
  });
});
