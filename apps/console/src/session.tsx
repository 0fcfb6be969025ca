import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { tokenStore } from './api/client';
import { whoami } from './api/queries';

export interface Me {
  name: string;
  scope: 'read' | 'admin';
}

interface Session {
  me: Me | null;
  /** false for a read-scope token: every write action is hidden or disabled (the API refuses them anyway) */
  canWrite: boolean;
  signIn(token: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => tokenStore.get() !== null);

  const signOut = useCallback(() => {
    tokenStore.clear();
    queryClient.clear();
    setMe(null);
  }, [queryClient]);

  const signIn = useCallback(async (token: string) => {
    tokenStore.set(token);
    try {
      setMe(await whoami());
    } catch (err) {
      tokenStore.clear();
      throw err;
    }
  }, []);

  // a token kept in this tab's sessionStorage survives a reload
  useEffect(() => {
    const token = tokenStore.get();
    if (!token) return;
    signIn(token)
      .catch(() => undefined)
      .finally(() => setChecking(false));
  }, [signIn]);

  useEffect(() => {
    const onUnauthorized = () => signOut();
    window.addEventListener('scim-import:unauthorized', onUnauthorized);
    return () => window.removeEventListener('scim-import:unauthorized', onUnauthorized);
  }, [signOut]);

  if (checking) return null;
  return <SessionContext.Provider value={{ me, canWrite: me?.scope === 'admin', signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
