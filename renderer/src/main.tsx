import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startBackend } from './api/session';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('renderer/index.html lacks the #root element');
startBackend();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
