import { createHandoffClient } from '../../../src/client/client';
import { fetchWithRefresh } from './fetch-with-refresh';
import { askForPassword, passwordProofs } from './password-prompt';
import { refreshSession } from './session';
import { session } from './session-store';

export { ApiError, unwrap, type Schemas } from '../../../src/client/client';

/** The one client of the console: every API call but the four session routes goes through it. */
export const api = createHandoffClient({
  baseUrl: window.location.origin,
  token: () => session.accessToken,
  fetch: fetchWithRefresh(refreshSession, { ask: askForPassword, proofs: passwordProofs }),
});
