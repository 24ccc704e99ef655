import { Header } from '@nestjs/common';

/**
 * An answer that carries a secret (tokens, an API key, a webhook's signing secret) is never kept
 * by a cache on the way or in the browser (RFC 6749 5.1 asks it of token answers).
 */
export const NoStore = () => Header('Cache-Control', 'no-store');
