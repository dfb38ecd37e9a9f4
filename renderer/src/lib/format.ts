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

/** `<input type="datetime-local">` value in UTC for a timestamp, and back. */
export function toUtcInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}
export function fromUtcInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(`${value}:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
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
