import { useEffect, useRef, useState } from "preact/hooks";
import type { Credentials } from "../state/chat.js";

interface Props {
  error?: string;
  /** Start in token mode (the server asked for a token). */
  tokenMode: boolean;
  /** What was typed before a refusal, kept in the field. */
  initial?: string;
  onSubmit(c: Credentials): void;
}

export function SignIn({ error, tokenMode, initial, onSubmit }: Props) {
  const [useToken, setUseToken] = useState(tokenMode);
  const [value, setValue] = useState(initial ?? "");
  const input = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  useEffect(() => setUseToken(tokenMode), [tokenMode]);
  useEffect(() => input.current?.focus(), [useToken]);

  const submit = (e: Event) => {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    onSubmit(useToken ? { token: v } : { username: v });
  };

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="signin-logo" aria-hidden="true">
          <svg viewBox="0 0 64 64" width="44" height="44">
            <path d="M18 20h28a4 4 0 0 1 4 4v14a4 4 0 0 1-4 4H30l-9 7v-7h-3a4 4 0 0 1-4-4V24a4 4 0 0 1 4-4z" />
          </svg>
        </div>
        <h1 id="signin-title">Welcome to Chat</h1>
        <p class="muted">{useToken ? "Paste the access token you were given." : "Pick a name to start chatting."}</p>
        {useToken ? (
          <label class="field">
            <span>Access token</span>
            <textarea
              ref={input}
              name="token"
              rows={4}
              spellcheck={false}
              autocomplete="off"
              required
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
          </label>
        ) : (
          <label class="field">
            <span>Username</span>
            <input
              ref={input}
              name="username"
              autocomplete="username"
              autocapitalize="off"
              spellcheck={false}
              maxLength={32}
              required
              aria-describedby="username-hint"
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
            <small id="username-hint" class="muted">Letters, digits, dots, dashes and underscores; up to 32.</small>
          </label>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary" type="submit">
          Sign in
        </button>
        <button
          class="btn link"
          type="button"
          onClick={() => {
            setUseToken(!useToken);
            setValue("");
          }}
        >
          {useToken ? "Use a username instead" : "Sign in with a token instead"}
        </button>
      </form>
    </main>
  );
}
