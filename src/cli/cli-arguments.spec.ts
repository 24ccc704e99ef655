import { parseCommand } from './cli-arguments';

/** The command line refuses what it cannot run with exit 2, before anything starts. */
describe('the command line', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  it.each([
    ['a misspelled option', ['jobs:ping', '--timout', '5'], /Unknown option '--timout'/],
    ['an option without its value', ['jobs:ping', '--timeout'], /--timeout/],
  ])('refuses %s with exit 2, saying which (it exited 1)', async (_what, args, said) => {
    await expect(parseCommand(args)).resolves.toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(said);
  });

  it('takes a well-formed one', async () => {
    await expect(parseCommand(['jobs:ping', '--timeout', '5'])).resolves.toMatchObject({
      name: 'jobs:ping',
    });
  });
});
