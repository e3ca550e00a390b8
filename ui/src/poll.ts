/**
 * Live lists: a loader run now, then every few seconds while the tab is
 * visible, and again at once when it becomes visible.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api.js";

export const POLL_MS = 3000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const seq = useRef(0);

  const reload = useCallback(() => {
    const mine = ++seq.current;
    loadRef
      .current()
      .then((value) => {
        if (mine !== seq.current) return;
        setData(value);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (mine === seq.current) setError(errorText(err));
      });
  }, []);

  useEffect(() => {
    setData(undefined);
    reload();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, everyMs);
    const onVisible = () => {
      if (document.visibilityState === "visible") reload();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      seq.current++;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, deps);

  return { data, error, reload };
}
