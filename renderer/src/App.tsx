import type { ReactElement } from 'react';
import { Banner } from './components/Banner';
import { Shortcuts } from './components/Shortcuts';
import { Sidebar } from './components/Sidebar';
import { useRoute } from './stores/route';
import { BotsView } from './views/bots/BotsView';
import { CandlesView } from './views/CandlesView';
import { LogsView } from './views/LogsView';
import { NotificationsView } from './views/NotificationsView';
import { OptimizeView } from './views/optimize/OptimizeView';
import { SessionsView } from './views/SessionsView';
import { SettingsView } from './views/SettingsView';
import { StateView } from './views/StateView';
import { StorageView } from './views/StorageView';

function CurrentView(): ReactElement {
  const view = useRoute((r) => r.view);
  switch (view) {
    case 'sessions':
      return <SessionsView />;
    case 'optimize':
      return <OptimizeView />;
    case 'bots':
      return <BotsView />;
    case 'candles':
      return <CandlesView />;
    case 'notifications':
      return <NotificationsView />;
    case 'state':
      return <StateView />;
    case 'storage':
      return <StorageView />;
    case 'logs':
      return <LogsView />;
    case 'settings':
      return <SettingsView />;
  }
}

export function App(): ReactElement {
  return (
    <div className="app">
      <Sidebar />
      <div className="banner-slot">
        <Banner />
      </div>
      <main className="main">
        <CurrentView />
      </main>
      <Shortcuts />
    </div>
  );
}
