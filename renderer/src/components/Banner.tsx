import type { ReactElement, ReactNode } from 'react';
import { bannerFor, useConnection } from '../stores/database';
import { Icon } from './icons';

/** Text with `backticked` commands shown as code. */
export function withCommands(text: string): ReactNode[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** Says when the database is unreachable, writes are being buffered, or it needs migrating; disappears once fixed. */
export function Banner(): ReactElement | null {
  const database = useConnection((s) => s.database);
  const transport = useConnection((s) => s.transport);
  const banner = bannerFor(database, transport);
  if (!banner) return null;
  return (
    <div className={`banner ${banner.level}`} role="alert" data-testid="db-banner">
      <Icon name="alert" />
      <span>{banner.title}</span>
      {banner.detail && <span className="dim">— {withCommands(banner.detail)}</span>}
    </div>
  );
}
