import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createClient } from './api';
import { createAppStore, StoreProvider } from './store';
import { connectEvents } from './store/subscriptions';
import './styles.css';

const client = createClient();
const store = createAppStore(client);
connectEvents(client, store);
void store
  .getState()
  .loadComponents()
  .then(async () => {
    await Promise.all([store.getState().loadCheckResults(), store.getState().loadSchedules()]);
    // Backups and history load in the background, so their views open with data.
    await store.getState().loadHistory();
    await store.getState().loadBackups();
  });
void store.getState().loadSettings();
void store.getState().loadInfo();

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
