import { chooseLogFormat } from './log-format';

describe('chooseLogFormat (pretty for a person at a terminal, JSON for everything else)', () => {
  it.each([
    [true, 'development', 'pretty'],
    [true, 'test', 'pretty'],
    [true, undefined, 'pretty'],
    [true, 'production', 'json'],
    [false, 'development', 'json'],
    [undefined, 'development', 'json'],
    [false, 'production', 'json'],
  ] as const)('auto, isTTY %s, NODE_ENV %s: %s', (isTTY, nodeEnv, expected) => {
    expect(chooseLogFormat(isTTY, nodeEnv)).toBe(expected);
    expect(chooseLogFormat(isTTY, nodeEnv, 'auto')).toBe(expected);
  });

  it('lets LOG_FORMAT force either, whatever the terminal and environment', () => {
    for (const isTTY of [true, false]) {
      for (const nodeEnv of ['development', 'production']) {
        expect(chooseLogFormat(isTTY, nodeEnv, 'json')).toBe('json');
        expect(chooseLogFormat(isTTY, nodeEnv, 'pretty')).toBe('pretty');
      }
    }
  });
});
