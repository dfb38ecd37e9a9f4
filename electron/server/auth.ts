import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** valid: the right secret; absent: none given; invalid: a wrong one (counts as a failed attempt). */
export type Credential = 'valid' | 'absent' | 'invalid';

const MAX_OPEN_CODES = 64;

function same(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The host's secrets. `token` is what non-browser clients send (`Authorization: Bearer …`): the
 * operator's `--token`, or a random one per start. Browsers never see it: they trade a one-time
 * code from the printed address (or the token typed into the sign-in form) for an HttpOnly,
 * SameSite=Strict session cookie, so no secret stays in a URL, the history or a log.
 */
export class HostAuth {
  readonly token: string;
  readonly cookieName: string;
  private readonly session: string;
  private readonly codes = new Set<string>();

  constructor(options: { token?: string; port: number }) {
    this.token = options.token ?? randomBytes(32).toString('base64url');
    // Derived from a fixed token, the cookie survives a restart; from a random one it does not.
    this.session = createHmac('sha256', this.token).update('backtest-monitor session').digest('base64url');
    // Cookies are shared by every port of a host name: one name per port keeps two hosts apart.
    this.cookieName = `bm_session_${options.port}`;
  }

  /** A code that signs one browser in, once. */
  newCode(): string {
    const code = randomBytes(24).toString('base64url');
    if (this.codes.size >= MAX_OPEN_CODES) this.codes.delete(this.codes.values().next().value!);
    this.codes.add(code);
    return code;
  }

  /** True once per code: redeeming removes it, so a copied or replayed address is refused. */
  redeem(code: string): boolean {
    for (const open of this.codes) {
      if (same(open, code)) {
        this.codes.delete(open);
        return true;
      }
    }
    return false;
  }

  tokenMatches(given: string): boolean {
    return same(this.token, given);
  }

  /** The session cookie or the bearer token of a request. */
  check(req: IncomingMessage): { credential: Credential; via: 'cookie' | 'token' | 'none' } {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      return { credential: bearer !== undefined && this.tokenMatches(bearer) ? 'valid' : 'invalid', via: 'token' };
    }
    const cookie = cookieValue(req.headers.cookie, this.cookieName);
    if (cookie !== undefined) return { credential: same(this.session, cookie) ? 'valid' : 'invalid', via: 'cookie' };
    return { credential: 'absent', via: 'none' };
  }

  /** Set-Cookie value: script cannot read it, other sites never send it, it ends with the browser session. */
  sessionCookie(): string {
    return `${this.cookieName}=${this.session}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
