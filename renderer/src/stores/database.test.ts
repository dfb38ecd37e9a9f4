import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import { bannerFor } from './database';

const status = (patch: Partial<DatabaseStatus>): DatabaseStatus => ({
  source: 'env',
  status: 'connected',
  label: 'MongoDB',
  spool: { buffering: 0 },
  since: 0,
  ...patch,
});

describe('bannerFor', () => {
  it('shows nothing while the database is connected and nothing is buffered', () => {
    expect(bannerFor(status({}), { kind: 'connected', lostEvents: false })).toBeUndefined();
  });

  it('says the database is unreachable, with the buffered writes when there are some', () => {
    expect(bannerFor(status({ status: 'reconnecting', reason: 'connection lost' }), { kind: 'connected', lostEvents: false })).toMatchObject({ level: 'error', title: 'Database unreachable', detail: 'connection lost' });
    expect(bannerFor(status({ status: 'reconnecting', spool: { buffering: 12 } }), { kind: 'connected', lostEvents: false })?.detail).toContain('buffering 12 writes');
  });

  it('warns while a connected database is still replaying buffered writes', () => {
    expect(bannerFor(status({ spool: { buffering: 3 } }), { kind: 'connected', lostEvents: false })).toMatchObject({ level: 'warn', title: 'Buffering 3 writes' });
  });

  it('puts a lost host connection first, and says nothing for an app started without a database', () => {
    expect(bannerFor(status({ status: 'failed' }), { kind: 'reconnecting', attempt: 2 })?.title).toContain('app host');
    expect(bannerFor(status({ source: 'none', status: 'disconnected' }), { kind: 'connected', lostEvents: false })).toBeUndefined();
  });
});
