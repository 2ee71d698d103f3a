import { useEffect, useId, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/api-error';
import { createApiClient } from '../api/client';
import { useDocumentTitle } from '../ui/page';
import { useAuth } from './auth';
import { apiKeyProblem } from './session';

export interface SignInPageProps {
  /** Where the API is (the page's origin). */
  readonly baseUrl: string;
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Resolves to the development key when the host offers one. */
  readonly devKey: Promise<string | null>;
}

/**
 * Checks a key with one cheap read: anything but 401 means the API knows the key (a 403 is a
 * key that may not list customers, which is still a key: the pages say what it may not do).
 */
async function checkKey(props: SignInPageProps, key: string): Promise<string | null> {
  const api = createApiClient({
    baseUrl: props.baseUrl,
    apiKey: () => key,
    ...(props.fetch ? { fetch: props.fetch } : {}),
  });
  try {
    await api.GET('/v1/customers', { params: { query: { limit: 1 } } });
    return null;
  } catch (error) {
    if (!(error instanceof ApiError)) return 'The key could not be checked. Try again.';
    if (error.status === 401) return 'That API key was not accepted. Check it and try again.';
    if (error.status === 0 || error.status >= 500 || error.status === 429) return error.message;
    return null;
  }
}

export function SignInPage(props: SignInPageProps) {
  useDocumentTitle('Sign in');
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [devKey, setDevKey] = useState<string | null>(null);
  const inputId = useId();
  const errorId = useId();

  useEffect(() => {
    let live = true;
    void props.devKey.then((k) => {
      if (live) setDevKey(k);
    });
    return () => {
      live = false;
    };
  }, [props.devKey]);

  const submit = async (candidate: string) => {
    const invalid = apiKeyProblem(candidate);
    if (invalid) {
      setProblem(invalid);
      return;
    }
    setBusy(true);
    setProblem(null);
    const refused = await checkKey(props, candidate.trim());
    setBusy(false);
    if (refused) {
      setProblem(refused);
      return;
    }
    auth.signIn(candidate.trim());
    void navigate(from.startsWith('/sign-in') ? '/' : from, { replace: true });
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(key);
  };

  return (
    <main id="main" className="sign-in">
      <div className="card sign-in-card">
        <p className="brand">Invincible</p>
        <h1>Sign in to the console</h1>
        {auth.reason && (
          <p className="message message-warning" role="alert">
            {auth.reason}
          </p>
        )}
        <form onSubmit={onSubmit} noValidate>
          <div className="field">
            <label htmlFor={inputId}>API key</label>
            <input
              id={inputId}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={key}
              onChange={(e) => setKey(e.target.value)}
              aria-invalid={problem !== null}
              aria-describedby={problem ? errorId : undefined}
              required
            />
            <p className="hint">
              The key stays in this tab only (session storage) and is sent to the API only.
            </p>
          </div>
          {problem && (
            <p id={errorId} className="message message-error" role="alert">
              {problem}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Checking…' : 'Sign in'}
            </button>
            {devKey && (
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => void submit(devKey)}
              >
                Use the development key
              </button>
            )}
          </div>
        </form>
      </div>
    </main>
  );
}
