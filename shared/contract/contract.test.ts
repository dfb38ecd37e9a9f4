import { describe, expect, it } from 'vitest';
import { invokeChannels, type InvokeChannel } from './channels';
import { eventChannels, type EventName } from './events';
import { EVENT_NAMES, INVOKE_CHANNEL_NAMES } from './names';
import { parseEvent, parseRequest } from './validate';

const T0 = Date.UTC(2018, 0, 20);
const T1 = Date.UTC(2018, 0, 30);
const series = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' };

/** For every channel: one valid request, and malformed ones each paired with the field the error must name. */
const requests: Record<InvokeChannel, { valid: unknown; invalid: Array<[payload: unknown, field: string]> }> = {
  'runs.start': {
    valid: { kind: 'backtest', strategyName: 'sma-cross', params: { fast: 5 }, exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', from: T0, to: T1 },
    invalid: [
      [{ kind: 'forever', strategyName: 's', exchangeName: 'b', symbols: ['X'], interval: '1m' }, 'kind'],
      [{ kind: 'backtest', strategyName: 's', exchangeName: 'b', symbols: [], interval: '1m', from: T0, to: T1 }, 'symbols'],
      [{ kind: 'backtest', strategyName: 's', exchangeName: 'b', symbols: [''], interval: '1m', from: T0, to: T1 }, 'symbols.0'],
      [{ kind: 'backtest', strategyName: 's', exchangeName: 'b', symbols: ['X'], interval: '7m', from: T0, to: T1 }, 'interval'],
      [{ kind: 'backtest', strategyName: 's', exchangeName: 'b', symbols: ['X'], interval: '1m', to: T1 }, 'from'],
      [{ kind: 'backtest', strategyName: 's', exchangeName: 'b', symbols: ['X'], interval: '1m', from: T1, to: T0 }, 'to'],
      [{ kind: 'live', strategyName: 's', exchangeName: 'b', symbols: ['X'], interval: '1m', params: { fast: {} } }, 'params.fast'],
    ],
  },
  'runs.stop': { valid: { runId: 'r1' }, invalid: [[{}, 'runId'], [{ runId: 7 }, 'runId']] },
  'runs.list': { valid: {}, invalid: [[{ status: 'sleeping' }, 'status']] },
  'runs.get': { valid: { runId: 'r1' }, invalid: [[{ runId: '' }, 'runId']] },
  'runs.rename': { valid: { runId: 'r1', name: ' ETH trend, fees 0.1% ' }, invalid: [[{ runId: 'r1', name: '   ' }, 'name'], [{ runId: 'r1', name: 'x'.repeat(81) }, 'name'], [{ runId: 'r1', name: 'two\nlines' }, 'name'], [{ name: 'a' }, 'runId']] },
  'runs.delete': { valid: { runId: 'r1' }, invalid: [[{}, 'runId'], [{ runId: '' }, 'runId']] },
  'candles.symbols': { valid: {}, invalid: [[{ extra: 1 }, '']] },
  'candles.query': {
    valid: { ...series, from: T0, to: T1 },
    invalid: [
      [{ ...series, from: -1, to: T1 }, 'from'],
      [{ ...series, from: T1, to: T0 }, 'to'],
      [{ ...series, symbol: undefined, from: T0, to: T1 }, 'symbol'],
    ],
  },
  'candles.chart': {
    valid: { ...series, from: T0, to: T1, maxPoints: 2000 },
    invalid: [
      [{ ...series, from: T0, to: T1, maxPoints: 5000 }, 'maxPoints'],
      [{ ...series, interval: 'weekly', from: T0, to: T1 }, 'interval'],
    ],
  },
  'candles.page': {
    valid: { ...series, after: T0, limit: 100 },
    invalid: [
      [{ ...series, limit: 0 }, 'limit'],
      [{ ...series, order: 'random' }, 'order'],
      [{ ...series, after: 1.5 }, 'after'],
    ],
  },
  'candles.import': {
    valid: { source: { kind: 'path', path: '/data/ETH_BTC-1m.json' }, exchangeName: 'binance' },
    invalid: [
      [{ source: { kind: 'url', path: 'x' }, exchangeName: 'binance' }, 'source.kind'],
      [{ source: { kind: 'content', fileName: 'a.csv', text: 'x'.repeat(1024 * 1024 + 1) }, exchangeName: 'binance' }, 'source.text'],
      [{ source: { kind: 'upload', uploadId: '../x.mjs', fileName: 'a.csv' }, exchangeName: 'binance' }, 'source.uploadId'],
      [{ source: { kind: 'path', path: 'a.csv' } }, 'exchangeName'],
    ],
  },
  'candles.download': {
    valid: { ...series, from: T0, to: T1 },
    invalid: [[{ ...series, from: T0 }, 'to'], [{ ...series, exchangeName: '', from: T0, to: T1 }, 'exchangeName']],
  },
  'candles.gaps': { valid: { ...series }, invalid: [[{ ...series, from: 'yesterday' }, 'from']] },
  'candles.export': {
    valid: { ...series, from: T0, to: T1, format: 'csv' },
    invalid: [[{ ...series, format: 'xlsx' }, 'format'], [{ ...series, from: T1, to: T0, format: 'json' }, 'to']],
  },
  'candles.exportChunk': {
    valid: { exportId: '0b7a4b9e-5f0c-4c2a-9a57-2f7d1c9b3e11', after: T0 },
    invalid: [[{ exportId: '../../etc/passwd' }, 'exportId'], [{}, 'exportId']],
  },
  'candles.delete': {
    valid: { ...series, from: T0, to: T1, dryRun: true },
    invalid: [[{ ...series, from: T1, to: T0 }, 'to'], [{ ...series, symbol: '' }, 'symbol'], [{ ...series, expected: -1 }, 'expected']],
  },
  'candles.backfill': { valid: { ...series, from: T0, to: T1 }, invalid: [[{ ...series, interval: '7m' }, 'interval']] },
  'candles.derived': {
    valid: { ...series, interval: '15m', source: '1m', from: T0, to: T1 },
    invalid: [[{ ...series, interval: '15m', source: '2m', from: T0, to: T1 }, 'source'], [{ ...series, from: T0 }, 'to']],
  },
  'notifications.list': {
    valid: { limit: 50, types: ['signal.closed'], unreadOnly: true },
    invalid: [
      [{ types: ['signal.exploded'] }, 'types.0'],
      [{ limit: 100_000 }, 'limit'],
      [{ offset: -1 }, 'offset'],
    ],
  },
  'notifications.markRead': { valid: { ids: ['n1', 'n2'] }, invalid: [[{ ids: [] }, 'ids'], [{ all: false }, 'all']] },
  'notifications.unreadCount': { valid: {}, invalid: [[{ runId: 'x' }, '']] },
  'state.get': { valid: { runId: 'r1' }, invalid: [[{ run: 'r1' }, 'runId']] },
  'matrix.get': { valid: { runId: 'r1' }, invalid: [[{ runId: '' }, 'runId']] },
  'database.status': { valid: {}, invalid: [[{ verbose: true }, '']] },
  'database.test': {
    valid: { connectionString: 'mongodb://u:p@localhost:27017/db' },
    invalid: [[{ connectionString: 'http://localhost' }, 'connectionString'], [{}, 'connectionString']],
  },
  'database.connect': { valid: { embedded: true }, invalid: [[{ connectionString: 'postgres://x' }, 'connectionString']] },
  'strategies.list': { valid: {}, invalid: [[{ all: 1 }, '']] },
  'settings.get': { valid: {}, invalid: [[{ key: 'x' }, '']] },
  'settings.set': {
    valid: { osNotifications: { 'signal.closed': false }, theme: 'light' },
    invalid: [
      [{ theme: 'pink' }, 'theme'],
      [{ osNotifications: { 'signal.closed': 'yes' } }, 'osNotifications.signal.closed'],
      // Host-side configuration is not on the contract: the strategies folder, the database.
      [{ strategiesDir: '/tmp/downloads' }, ''],
      [{ connectionString: 'mongodb://evil.example/x' }, ''],
    ],
  },
  'logs.tail': { valid: { limit: 10, level: 'warn' }, invalid: [[{ level: 'loud' }, 'level'], [{ limit: -1 }, 'limit']] },
  'bots.list': { valid: {}, invalid: [[{ all: true }, '']] },
  'bots.get': {
    valid: { strategyName: 's', exchangeName: 'e', symbol: 'BTCUSDT', frameName: '', mode: 'live' },
    invalid: [
      [{ strategyName: 's', exchangeName: 'e', symbol: 'BTCUSDT', frameName: '', mode: 'paper' }, 'mode'],
      [{ strategyName: '', exchangeName: 'e', symbol: 'BTCUSDT', frameName: '', mode: 'live' }, 'strategyName'],
    ],
  },
  'optimize.start': {
    valid: { strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 20, step: 5 } } }], exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', from: T0, to: T0 + 86_400_000 },
    invalid: [
      [{ ...{ strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 20, step: 5 } } }], exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', from: T0, to: T0 + 86_400_000 }, strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 20, step: 0 } } }] }, 'strategies.0.params.fast.step'],
      [{ ...{ strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 20, step: 5 } } }], exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', from: T0, to: T0 + 86_400_000 }, to: T0 }, 'to'],
    ],
  },
  'optimize.stop': { valid: { sweepId: 's1' }, invalid: [[{ sweepId: '' }, 'sweepId']] },
  'optimize.resume': { valid: { sweepId: 's1' }, invalid: [[{}, 'sweepId']] },
  'optimize.list': { valid: {}, invalid: [[{ all: true }, '']] },
  'optimize.get': { valid: { sweepId: 's1' }, invalid: [[{ sweepId: 1 }, 'sweepId']] },
  'optimize.trials': { valid: { sweepId: 's1', sort: 'score' }, invalid: [[{ sweepId: 's1', sort: 'random' }, 'sort']] },
};

describe('contract', () => {
  it('lists the same channels in the zod-free name lists as in the schema maps', () => {
    expect([...INVOKE_CHANNEL_NAMES].sort()).toEqual(Object.keys(invokeChannels).sort());
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(eventChannels).sort());
  });

  for (const channel of Object.keys(invokeChannels) as InvokeChannel[]) {
    describe(channel, () => {
      it('accepts a valid payload', () => {
        const result = parseRequest(channel, requests[channel].valid);
        expect(result.ok ? 'ok' : result.error.message).toBe('ok');
      });
      it.each(requests[channel].invalid.map(([payload, field]) => ({ payload, field })))(
        'rejects a malformed payload naming "$field"',
        ({ payload, field }) => {
          const result = parseRequest(channel, payload);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.error.code).toBe('invalid_payload');
          expect(result.error.issues?.map((i) => i.path)).toContain(field);
          if (field) expect(result.error.message).toContain(`${field}:`);
        },
      );
    });
  }

  it('rejects an unknown channel without throwing', () => {
    const result = parseRequest('runs.destroyAll', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
  });

  it('fills defaults so handlers see complete requests', () => {
    const result = parseRequest('notifications.list', undefined);
    expect(result).toEqual({ ok: true, data: { limit: 200, offset: 0, unreadOnly: false } });
  });

  const events: Record<EventName, { valid: unknown; invalid: [unknown, string] }> = {
    'run.progress': {
      valid: { runId: 'r1', progress: 0.5, processed: 50, total: 100, at: T0 },
      invalid: [{ runId: 'r1', progress: 1.5, processed: 50, total: 100, at: T0 }, 'progress'],
    },
    'run.event': {
      valid: { runId: 'r1', type: 'status', status: 'completed', at: T0 },
      invalid: [{ runId: 'r1', type: 'status', status: 'exploded', at: T0 }, 'status'],
    },
    'candles.progress': {
      valid: { ...series, operation: 'download', fraction: 0.5, count: 500 },
      invalid: [{ ...series, operation: 'upload', fraction: 0.5, count: 500 }, 'operation'],
    },
    notification: {
      valid: { notificationId: 'n1', type: 'signal.closed', backtest: false, title: 'TP hit', message: 'ETH/BTC +1.2%', createdAt: T0, read: false },
      invalid: [{ notificationId: 'n1', type: 'signal.closed', backtest: false, title: 't', message: 'm', createdAt: T0 }, 'read'],
    },
    'notifications.unread': { valid: { count: 3 }, invalid: [{ count: -1 }, 'count'] },
    'database.status': {
      valid: { source: 'embedded', status: 'connected', label: 'embedded', spool: { buffering: 0 }, since: T0 },
      invalid: [{ source: 'embedded', status: 'connected', label: 'embedded', spool: { buffering: -2 }, since: T0 }, 'spool.buffering'],
    },
    'log.line': { valid: { entryId: 'e1', level: 'info', at: T0, message: 'hi' }, invalid: [{ entryId: 'e1', level: 'chatty', at: T0, message: 'hi' }, 'level'] },
    'app.navigate': { valid: { view: 'Sessions', runId: 'r1' }, invalid: [{ view: 'Kitchen' }, 'view'] },
    'bots.changed': {
      valid: { bots: [{ strategyName: 's', exchangeName: 'e', symbol: 'X', frameName: '', mode: 'live' }], collections: ['signal-items'], watch: { mode: 'poll', intervalMs: 300, detail: 'standalone' }, at: T0 },
      invalid: [{ bots: [], collections: [], watch: { mode: 'tail', detail: '' }, at: T0 }, 'watch.mode'],
    },
    'optimize.progress': {
      valid: { sweepId: 's1', status: 'running', done: 3, total: 18, etaMs: 1500, best: null, trials: [] },
      invalid: [{ sweepId: 's1', status: 'paused', done: 3, total: 18, best: null, trials: [] }, 'status'],
    },
  };
  for (const event of Object.keys(eventChannels) as EventName[]) {
    it(`event ${event}: accepts a valid payload and names the bad field`, () => {
      expect(parseEvent(event, events[event].valid).ok).toBe(true);
      const bad = parseEvent(event, events[event].invalid[0]);
      expect(bad.ok ? [] : bad.error.issues?.map((i) => i.path)).toContain(events[event].invalid[1]);
    });
  }
});
