import type { ReactElement } from 'react';
import { bannerFor, useConnection } from '../stores/database';
import { Icon } from './icons';

/** Says when the database is unreachable or writes are being buffered; disappears on recovery. */
export function Banner(): ReactElement | null {
  const database = useConnection((s) => s.database);
  const transport = useConnection((s) => s.transport);
  const banner = bannerFor(database, transport);
  if (!banner) return null;
  return (
    <div className={`banner ${banner.level}`} role="alert" data-testid="db-banner">
      <Icon name="alert" />
      <span>{banner.title}</span>
      {banner.detail && <span className="dim">— {banner.detail}</span>}
    </div>
  );
}
