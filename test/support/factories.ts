import { randomBytes } from 'node:crypto';
import { UsersService } from '../../src/modules/users/users.service';
import type { TestApp } from './test-app';

export const PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  id: string;
  email: string;
  role: string;
  companyId: string | null;
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export const uniqueEmail = (label = 'user') =>
  `${label}-${randomBytes(5).toString('hex')}@example.test`;

async function register(t: TestApp, body: Record<string, unknown>): Promise<SignedIn> {
  const res = await t.http.post('/v1/auth/register').send(body);
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...res.body.user,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

export function registerAgent(t: TestApp, email = uniqueEmail('agent')): Promise<SignedIn> {
  return register(t, { email, password: PASSWORD, role: 'agent' });
}

export function registerCompany(t: TestApp, companyName = 'Acme Support'): Promise<SignedIn> {
  return register(t, {
    email: uniqueEmail('admin'),
    password: PASSWORD,
    role: 'company_admin',
    companyName,
  });
}

/** Finance and admin users exist only via the CLI's use case; call it directly here. */
export async function createStaff(t: TestApp, role: 'finance' | 'admin'): Promise<SignedIn> {
  const email = uniqueEmail(role);
  const user = await t.app.get(UsersService).createStaff(email, PASSWORD, role);
  const res = await t.http.post('/v1/auth/login').send({ email, password: PASSWORD });
  if (res.status !== 200)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...user,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

export async function createApiKey(t: TestApp, company: SignedIn, name = 'bot'): Promise<string> {
  const res = await t.http.post('/v1/companies/me/api-keys').set(company.auth).send({ name });
  if (res.status !== 201)
    throw new Error(`api key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key as string;
}

/** Rows in every application table: a write anywhere changes it. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const tables: { table_name: string }[] = await t.db.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'typeorm_migrations'`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM "${table_name}"`);
    counts[table_name] = n;
  }
  return counts;
}
