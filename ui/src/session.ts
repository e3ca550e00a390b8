/**
 * Who is signed in: a pasted token, kept in sessionStorage (gone when the
 * tab closes), and whether the server asks for one at all (/ui/config.json).
 * A refused or expired token signs the user out with the reason shown on
 * the sign-in page.
 */
import { useEffect, useState } from "preact/hooks";

const KEY = "chronoring.token";

export interface Session {
  /** "off": the server takes calls without a token. */
  authMode: "jwt" | "off" | "unknown";
  token: string | undefined;
  /** Why the user was signed out, shown on the sign-in page. */
  reason: string | undefined;
}

let state: Session = {
  authMode: "unknown",
  token: sessionStorage.getItem(KEY) ?? undefined,
  reason: undefined,
};
const listeners = new Set<(s: Session) => void>();

function set(next: Partial<Session>) {
  state = { ...state, ...next };
  for (const listener of listeners) listener(state);
}

export function session(): Session {
  return state;
}

export function signIn(token: string) {
  sessionStorage.setItem(KEY, token);
  set({ token, reason: undefined });
}

export function signOut(reason?: string) {
  sessionStorage.removeItem(KEY);
  set({ token: undefined, reason });
}

/** Asks the server whether it wants a token. */
export async function loadAuthMode(): Promise<void> {
  try {
    const res = await fetch("/ui/config.json", { cache: "no-store" });
    const body = (await res.json()) as { authMode?: string };
    set({ authMode: body.authMode === "off" ? "off" : "jwt" });
  } catch {
    // Unknown: ask for a token; a server with auth off ignores it.
    set({ authMode: "jwt" });
  }
}

export function useSession(): Session {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    setS(state);
    return () => {
      listeners.delete(setS);
    };
  }, []);
  return s;
}
