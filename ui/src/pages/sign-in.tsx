/** Signing in: paste a token (`npm run token`, or the one `npm run dev` prints). */
import { useState } from "preact/hooks";
import { signIn } from "../session.js";

export function SignIn({ reason }: { reason: string | undefined }) {
  const [token, setToken] = useState("");
  return (
    <main class="sign-in">
      <h1>Chronoring</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const t = token.trim();
          if (t) signIn(t);
        }}
      >
        {reason && (
          <p role="alert" class="error">
            Signed out: {reason}
          </p>
        )}
        <label for="token">Access token</label>
        <textarea
          id="token"
          rows={5}
          required
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          placeholder="eyJhbGciOi…"
        />
        <p class="hint">
          A JWT from <code>npm run token</code>; kept in this tab only (sessionStorage).
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
