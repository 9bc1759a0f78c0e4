import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import type { Credentials } from "../state/chat.js";
import { LanguageSelect } from "./LanguageSelect.js";

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
        <h1 id="signin-title">{t("signin.title")}</h1>
        <p class="muted">{t(useToken ? "signin.tokenIntro" : "signin.nameIntro")}</p>
        {useToken ? (
          <label class="field">
            <span>{t("signin.token")}</span>
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
            <span>{t("signin.username")}</span>
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
            <small id="username-hint" class="muted">
              {t("signin.usernameHint")}
            </small>
          </label>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary" type="submit">
          {t("signin.submit")}
        </button>
        <button
          class="btn link"
          type="button"
          onClick={() => {
            setUseToken(!useToken);
            setValue("");
          }}
        >
          {t(useToken ? "signin.useUsername" : "signin.useToken")}
        </button>
        <LanguageSelect id="signin-language" />
      </form>
    </main>
  );
}
