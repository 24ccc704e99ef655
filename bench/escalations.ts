import { performance } from 'node:perf_hooks';
import { bearer, type HandoffClient, type Schemas, unwrap } from '../src/client/client';

/** What the intake and latency benchmarks send: a bot's escalation. */
export type Escalation = Schemas['CreateEscalationDto'];

export const SKILLS = ['refunds', 'billing', 'payments', 'shipping', 'returns', 'technical'];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

/** A realistic escalation (≈1 KB): a short transcript, one or two skills, some metadata. */
export function escalation(externalId: string, i: number): Escalation {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, s)).toISOString();
  return {
    externalId,
    subject: `Refund not received for order A-${i}`,
    summary: `Customer ${i} was promised a refund 10 days ago; the bot cannot see it in the ledger.`,
    transcript: [
      { role: 'customer', text: 'Where is my refund? It has been ten days.', at: t(0) },
      { role: 'bot', text: 'Let me check that for you.', at: t(5) },
      { role: 'bot', text: 'I cannot find a refund for this order in our system.', at: t(9) },
      { role: 'customer', text: 'I want to talk to a person, please.', at: t(30) },
    ],
    botAttempts: ['Looked up the refund status', 'Checked the payment provider'],
    requiredSkills: [
      { skill: SKILLS[i % SKILLS.length], minLevel: 1 + (i % 3) },
      ...(i % 2 === 0 ? [{ skill: SKILLS[(i + 1) % SKILLS.length], minLevel: 1 }] : []),
    ],
    language: 'en',
    priority: PRIORITIES[i % PRIORITIES.length],
    customerRef: `cust-${i}`,
    metadata: { orderId: `A-${i}`, channel: 'chat', botVersion: '2026.11' },
  };
}

/** Runs `count` calls of `fn`, at most `concurrency` at a time; returns the elapsed seconds. */
export async function drive(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

let registrations = 0;

/** Company sign-up and API key creation, over HTTP as a real customer would do it. */
export async function botKey(
  http: HandoffClient,
): Promise<{ key: string; keyId: string; companyId: string; adminToken: string }> {
  const { accessToken, user } = await unwrap(
    http.POST('/v1/auth/register', {
      body: {
        email: `intake-${process.pid}-${++registrations}@bench.test`,
        password: 'correct horse battery staple',
        role: 'company_admin',
        companyName: 'Intake Bench Co',
      },
    }),
  );
  const { key, id } = await unwrap(
    http.POST('/v1/companies/me/api-keys', {
      headers: bearer(accessToken),
      body: { name: 'bench bot' },
    }),
  );
  return { key, keyId: id, companyId: user.companyId!, adminToken: accessToken };
}
