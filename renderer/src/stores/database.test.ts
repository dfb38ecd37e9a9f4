import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import { bannerFor, migrationNotice } from './database';

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

  it('tells the user to migrate a database holding documents in the previous layout, with the total and the commands', () => {
    const migration = { needed: true, collections: { 'storage-items': 1200, 'notification-items': 34 } };
    expect(bannerFor(status({ migration }), { kind: 'connected', lostEvents: false })).toEqual({
      level: 'warn',
      title: 'This database holds 1,234 documents in the previous layout',
      detail: 'run `npm run db -- migrate --dry-run`, then `--apply`',
    });
    expect(migrationNotice(status({ migration: { needed: true, collections: { 'state-items': 1 } } }))?.title).toBe('This database holds 1 document in the previous layout');
  });

  it('says nothing about migrating a clean database, one not checked yet, or one that is down (that banner wins)', () => {
    const connected = { kind: 'connected', lostEvents: false } as const;
    expect(bannerFor(status({ migration: { needed: false, collections: {} } }), connected)).toBeUndefined();
    expect(bannerFor(status({}), connected)).toBeUndefined();
    const migration = { needed: true, collections: { 'storage-items': 3 } };
    expect(bannerFor(status({ status: 'reconnecting', reason: 'connection lost', migration }), connected)?.title).toBe('Database unreachable');
    expect(bannerFor(status({ spool: { buffering: 2 }, migration }), connected)?.title).toBe('Buffering 2 writes');
  });
});
