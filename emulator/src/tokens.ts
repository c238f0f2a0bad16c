// Opaque pagination tokens (nextToken / Marker). They are HMAC-signed so that a forged or garbled token is refused
// the way the real services refuse one, instead of silently paging from an arbitrary point.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface PageCursor {
  /** Which listing the token belongs to, e.g. "eks:ListClusters:123456789012:us-west-2:all". */
  scope: string;
  /** The last key returned; the next page starts after it. */
  after: string;
}

export class PageTokens {
  private readonly key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  encode(cursor: PageCursor): string {
    const payload = Buffer.from(JSON.stringify([cursor.scope, cursor.after])).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** Returns undefined for anything this emulator did not issue for the same listing. */
  decode(token: string, scope: string): PageCursor | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] !== scope || typeof parsed[1] !== 'string') return undefined;
      return { scope, after: parsed[1] };
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }
}

/** One page of sorted keys strictly after `after`; binary search keeps deep pages cheap. */
export function pageAfter(sortedKeys: readonly string[], after: string | undefined, limit: number): { page: string[]; last?: string } {
  let start = 0;
  if (after !== undefined) {
    let low = 0;
    let high = sortedKeys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sortedKeys[mid] <= after) low = mid + 1;
      else high = mid;
    }
    start = low;
  }
  const page = sortedKeys.slice(start, start + limit);
  const more = start + limit < sortedKeys.length;
  return { page, last: more ? page[page.length - 1] : undefined };
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
