import { isIP } from 'node:net';
import {
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import type { Env } from '../env.validation';

/**
 * TRUST_PROXY=true believes every hop's X-Forwarded-For, so any client could name its own
 * address (and pass the per-address sign-in limit with a new one each time) and its own
 * X-Forwarded-Proto; production must name its proxies instead.
 */
@ValidatorConstraint({ name: 'namedProxiesInProduction' })
export class NamedProxiesInProduction implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const env = args.object as Partial<Env>;
    if (env.NODE_ENV !== 'production') return true;
    // `true`, or a subnet holding every address (which trusts every client just the same).
    const entries = String(value)
      .split(',')
      .map((e) => e.trim().toLowerCase());
    return !entries.some((e) => e === 'true' || e === '0.0.0.0/0' || e === '::/0');
  }

  defaultMessage(): string {
    return "TRUST_PROXY must name the proxies' addresses or subnets in production (e.g. 10.0.0.0/8), not true or every address: then any client can forge its own";
  }
}

/**
 * TRUST_PROXY is `true`, `false`, or a comma-separated list Fastify (proxy-addr) understands:
 * addresses, subnets (address/prefix) and the names loopback, linklocal and uniquelocal.
 * Anything else (`on`, a host name, a typo) made Fastify throw at start-up, naming no variable.
 */
@ValidatorConstraint({ name: 'proxyList' })
export class ProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const text = String(value).trim();
    if (text === 'true' || text === 'false') return true;
    return text.split(',').every((raw) => {
      const entry = raw.trim().toLowerCase();
      if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
      const [address, prefix, extra] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) return false;
      if (prefix === undefined) return true;
      return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
    });
  }

  defaultMessage(): string {
    return "TRUST_PROXY must be true, false, or the proxies' addresses or subnets, comma-separated (e.g. loopback, 10.0.0.0/8)";
  }
}
