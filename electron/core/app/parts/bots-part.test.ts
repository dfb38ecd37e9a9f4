import mongoose from 'mongoose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../../shared/contract/events';
import { unwrap } from '../../../../shared/contract/result';
import { freshDatabaseUri } from '../../../../test/support/test-db';
import { signalNotification, signalRow, strategyStatus, writeNotification, writeSignal, writeStrategyStatus } from '../../bots/test-support/bot-documents';
import { createAppCore, type AppCore } from '../app-core';
import { buildCoreParts } from '../core-parts';

const BOT = { strategyName: 'part-bot', exchangeName: 'part-exchange', symbol: 'PARTUSDT', frameName: '' };

/** bots.list / bots.get through the dispatcher, and a bot's notification on the app's event bus (the path OS notifications and the UI listen to). */
describe('bots part in the app core', () => {
  let dataDir: string;
  let core: AppCore;
  let botConn: mongoose.Connection;
  const events: EventEnvelope[] = [];
  const call = async (channel: string, payload?: unknown): Promise<unknown> => unwrap(await core.dispatch(channel, payload));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-bots-'));
    const uri = freshDatabaseUri('bots_part');
    core = await createAppCore({ config: { dataDir, envConnectionString: uri, probeLocalhost: false, embedded: false }, parts: buildCoreParts, echoLog: false });
    await core.databaseReady;
    core.bus.listen((e) => events.push(e));
    botConn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  });
  afterAll(async () => {
    await botConn?.close();
    if (core?.database.connection?.isConnected) await core.database.connection.connection.dropDatabase().catch(() => undefined);
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the bots another process wrote, and announces its notification with the unread count within 1 s', async () => {
    const db = botConn.db!;
    const signal = signalRow(BOT, { priceOpen: 50, priceTakeProfit: 51, priceStopLoss: 49, at: Date.now() });
    const note = signalNotification(BOT, 'signal.closed', signal, { at: Date.now(), currentPrice: 51, extra: { closeReason: 'take_profit', priceClose: 51 } });
    await writeSignal(db, BOT, signal);
    await writeStrategyStatus(db, BOT, strategyStatus({ pendingSignalId: String(signal.id) }));
    await writeNotification(db, note);
    // From the moment the bot's last write is acknowledged, as the user would count.
    const written = Date.now();

    let announced: EventEnvelope | undefined;
    let unread: EventEnvelope | undefined;
    // The signal's change may be announced in the poll after the notification's: all three within the same 1 s.
    const signalChanged = (): boolean => events.some((e) => e.event === 'bots.changed' && e.payload.collections.includes('signal-items'));
    while (Date.now() - written <= 1_000 && !(announced && unread && signalChanged())) {
      announced ??= events.find((e) => e.event === 'notification' && e.payload.notificationId === note.id);
      unread ??= announced && events.slice(events.indexOf(announced)).find((e) => e.event === 'notifications.unread');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(announced, 'the bot notification on the bus within 1 s').toBeDefined();
    expect(unread, 'the unread count after it within 1 s').toBeDefined();
    expect(announced!.payload).toMatchObject({ type: 'signal.closed', symbol: 'PARTUSDT', read: false, title: 'PARTUSDT: long position closed (take profit)' });
    expect(unread?.payload).toMatchObject({ count: 1 });
    expect(signalChanged(), 'the signal change announced within 1 s').toBe(true);

    const { bots, watch } = (await call('bots.list', {})) as { bots: Array<{ strategyName: string; state: string }>; watch: { mode: string } };
    expect(watch.mode).toBe('poll');
    expect(bots).toEqual([expect.objectContaining({ strategyName: 'part-bot', state: 'open' })]);
    const { bot } = (await call('bots.get', { ...BOT, mode: 'live' })) as { bot: { notifications: Array<{ notificationId: string }> } };
    expect(bot.notifications.map((n) => n.notificationId)).toEqual([note.id]);
    // The inbox lists the bot's notification as the live event did.
    const inbox = (await call('notifications.list', {})) as { items: Array<{ notificationId: string; title: string }> };
    expect(inbox.items.find((n) => n.notificationId === note.id)?.title).toBe('PARTUSDT: long position closed (take profit)');
  });

  it('answers not_found for a bot with no documents, and names a bad key field', async () => {
    const missing = await core.dispatch('bots.get', { ...BOT, symbol: 'NONEUSDT', mode: 'live' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const bad = await core.dispatch('bots.get', { ...BOT, mode: 'paper' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
  });
});
