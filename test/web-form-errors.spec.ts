import { ApiError } from '../src/client/client';
import { problemOf } from '../web/src/ui/form-errors';

/** How the console words an error (web/src/ui/form-errors.ts). */
describe('the console words errors', () => {
  it("shows the API's message, and a proxy's HTML page as its status, not its markup", () => {
    const api = new ApiError(
      409,
      { error: { code: 'SHIFT_FULL', message: 'Every seat on this shift is taken' } },
      'POST /v1/shifts/x/claims',
    );
    expect(problemOf(api)?.message).toBe('Every seat on this shift is taken');
    const proxy = new ApiError(502, '<html><body>Bad Gateway</body></html>', 'POST /v1/x');
    expect(problemOf(proxy)?.message).toBe(
      'Handoff answered HTTP 502 without saying why: try again in a moment.',
    );
  });
});
