const priceFormatters = new Map<number, Intl.NumberFormat>();

/** Crypto prices quoted in BTC need 8 decimals; big prices need fewer. */
export function decimalsFor(value: number): number {
  const abs = Math.abs(value);
  if (abs === 0) return 2;
  if (abs >= 1000) return 2;
  if (abs >= 1) return 4;
  return 8;
}

export function formatPrice(value: number | undefined | null, decimals?: number): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  const d = decimals ?? decimalsFor(value);
  let f = priceFormatters.get(d);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
    priceFormatters.set(d, f);
  }
  return f.format(value);
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCompact(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  return compact.format(value);
}

export function formatInt(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  return integer.format(value);
}

export function formatPercent(value: number | undefined | null, digits = 2, signed = true): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  const s = value.toFixed(digits);
  return `${signed && value > 0 ? '+' : ''}${s}%`;
}

export function signClass(value: number | undefined | null): string {
  if (value === undefined || value === null || value === 0 || !Number.isFinite(value)) return '';
  return value > 0 ? 'up' : 'down';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Trading tools show UTC: candle data and exchanges speak UTC. */
export function formatTime(ms: number | undefined | null, withSeconds = false): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getUTCSeconds())}` : base;
}

export function formatShortTime(ms: number, spanMs: number): string {
  const d = new Date(ms);
  if (spanMs <= 2 * 86_400_000) return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (spanMs <= 120 * 86_400_000) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}h`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatAgo(ms: number, now = Date.now()): string {
  const diff = Math.max(0, now - ms);
  if (diff < 5_000) return 'just now';
  return `${formatDuration(diff)} ago`;
}

/**
 * Date-time fields are plain text in 24-hour UTC ("2018-01-31 23:59"): the browser's
 * datetime-local picker shows the user's locale (12-hour in the US) on fields labelled UTC.
 */
export const UTC_INPUT_PLACEHOLDER = 'YYYY-MM-DD HH:mm';

export function toUtcInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Accepts "YYYY-MM-DD HH:mm", with a "T" instead of the space, optional seconds, or a bare date (00:00). */
export function fromUtcInput(value: string): number | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0'] = m;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec)] as const;
  const ms = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);
  const back = new Date(ms);
  // Rejects 2018-02-31 and 25:00 instead of rolling them over into another day.
  if (back.getUTCMonth() !== parts[1] - 1 || back.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return undefined;
  return ms;
}

/** Hides the password of a connection string; the backend already masks, this is a second guard. */
export function maskUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)([^@]*)@/, '$1••••@');
}

/** "1h", "4h", "2d" for a bucket width in ms. */
export function formatBucket(ms: number): string {
  const m = ms / 60_000;
  if (m < 60) return `${+m.toFixed(1)}m`;
  const h = m / 60;
  if (h < 24) return `${+h.toFixed(1)}h`;
  return `${+(h / 24).toFixed(1)}d`;
}
