/** Who is signed in: the API key of the keystore, and why the last session ended. */
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { Navigate, useLocation } from 'react-router';
import type { KeyStore } from './session';

export interface Auth {
  readonly signedIn: boolean;
  /** Why the console asked to sign in again (a 401), shown on the sign-in page. */
  readonly reason: string | null;
  readonly signIn: (key: string) => void;
  readonly signOut: (reason?: string) => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({
  keyStore,
  onSignOut,
  children,
}: {
  keyStore: KeyStore;
  /** Forget everything read with the old key. */
  onSignOut: () => void;
  children: ReactNode;
}) {
  const key = useSyncExternalStore(keyStore.subscribe, keyStore.get);
  const [reason, setReason] = useState<string | null>(null);
  const signIn = useCallback(
    (k: string) => {
      setReason(null);
      keyStore.set(k);
    },
    [keyStore],
  );
  const signOut = useCallback(
    (why?: string) => {
      setReason(why ?? null);
      keyStore.clear();
      onSignOut();
    },
    [keyStore, onSignOut],
  );
  const auth = useMemo(
    () => ({ signedIn: key !== null, reason, signIn, signOut }),
    [key, reason, signIn, signOut],
  );
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth: no AuthProvider above this component');
  return auth;
}

/** Its children when signed in; otherwise the sign-in page, which comes back here after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { signedIn } = useAuth();
  const location = useLocation();
  if (!signedIn) {
    const from = `${location.pathname}${location.search}`;
    return <Navigate to="/sign-in" replace state={{ from }} />;
  }
  return <>{children}</>;
}
