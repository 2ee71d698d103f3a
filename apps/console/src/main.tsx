/** The browser's entry point: the only module that reads the page's location and storage. */
import { QueryClient } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/api-error';
import { ConsoleApp } from './app';
import { createKeyStore } from './auth/session';
import { loadConsoleConfig, loadDevKey } from './config/console-config';
import './styles.css';

/** `/console/` (Vite's `base`): config.json and dev-key.json sit beside index.html. */
const basePath = import.meta.env.BASE_URL;

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refused request (4xx) will not succeed by asking again; the network or a 5xx might.
      retry: (count, error) =>
        count < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
      staleTime: 1_000,
    },
  },
});

const fetchPage = window.fetch.bind(window);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <BrowserRouter basename={basePath.replace(/\/$/, '')}>
      <ConsoleApp
        keyStore={createKeyStore(sessionStorageOrNull())}
        queryClient={queryClient}
        baseUrl={window.location.origin}
        config={loadConsoleConfig(fetchPage, basePath)}
        devKey={loadDevKey(fetchPage, basePath)}
      />
    </BrowserRouter>
  </StrictMode>,
);
