/**
 * Whether a company's API key is still active (not revoked), as a module that keeps a key's
 * session open asks it: an event stream, which outlives the request that authenticated it.
 * Companies provides it (globally, under this token), since companies itself imports events.
 */
export interface ApiKeyLiveness {
  isActive(keyId: string): Promise<boolean>;
}

export const API_KEY_LIVENESS = Symbol('API_KEY_LIVENESS');
