import { useEffect, useMemo, type ReactElement } from 'react';
import { call, errorMessage, getBackend, hasBackend } from '../../api/client';
import { createBotsRefresher, useBots } from '../../stores/bots';
import { useRoute } from '../../stores/route';
import { BotPage } from './BotPage';
import { BotsList } from './BotsList';

/** Prices of open positions come from the newest stored candle, which no `bots.changed` announces: read again now and then. */
const PRICE_REFRESH_MS = 5_000;

/**
 * backtest-kit bots found in the database: the list, or one bot when the route names it
 * (`#/bots/<botId>`). Live: every `bots.changed` from the host reads what is on screen again.
 */
export function BotsView(): ReactElement {
  const openId = useRoute((r) => (r.view === 'bots' ? r.runId : undefined));
  const refresher = useMemo(
    () =>
      createBotsRefresher(
        { list: () => call('bots.list', {}), get: (key) => call('bots.get', key) },
        errorMessage,
      ),
    [],
  );

  useEffect(() => {
    useBots.getState().open(openId);
    void refresher.refreshDetail();
  }, [openId, refresher]);

  useEffect(() => {
    void refresher.refreshList();
    const timer = setInterval(() => {
      void refresher.refreshList();
      void refresher.refreshDetail();
    }, PRICE_REFRESH_MS);
    const unsubscribe = hasBackend() ? getBackend().subscribe('bots.changed', (event) => refresher.onChanged(event)) : () => undefined;
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [refresher]);

  return openId ? <BotPage botId={openId} onRetry={() => void refresher.refreshDetail()} /> : <BotsList onRetry={() => void refresher.refreshList()} />;
}
