import 'reflect-metadata';
import { loadDotEnv } from './bootstrap/dot-env';
import { parseCommand } from './cli/cli-arguments';
import { DomainError } from './common/errors/domain-error';

async function main(): Promise<number> {
  // Before the command line is read: HANDOFF_PASSWORD may be in .env, as every variable may.
  loadDotEnv();
  const command = await parseCommand(process.argv.slice(2));
  if (typeof command === 'number') return command;
  // Loaded only for a command line that passed: the application's modules take a second or
  // more to load (several on a busy machine), which a refusal or the usage need not wait for.
  const { runCommand } = await import('./cli/run-command');
  return runCommand(command);
}

main()
  .then((code) => process.exit(code))
  .catch(async (e: unknown) => {
    const { toDomainError } = await import('./common/errors/all-exceptions.filter');
    const known = e instanceof DomainError ? e : toDomainError(e);
    process.stderr.write(`Error: ${(known ?? (e as Error)).message}\n`);
    // The cause's own words when it was mapped (a database's refusal, say): the operator's
    // diagnosis, not only the API's answer.
    if (known && known !== e && e instanceof Error) process.stderr.write(`Cause: ${e.message}\n`);
    if (known?.details) process.stderr.write(`${JSON.stringify(known.details, null, 2)}\n`);
    process.exit(1);
  });
