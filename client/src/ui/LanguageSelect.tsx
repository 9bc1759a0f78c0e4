/** The language chooser: saved in localStorage, and the page reloads in the new language. */
import { chooseLanguage, isLang, language, LANGUAGE_NAMES, LANGUAGES, t } from "../i18n/index.js";

export function LanguageSelect({ id }: { id: string }) {
  return (
    <span class="language">
      <label class="sr-only" for={id}>
        {t("sidebar.language")}
      </label>
      <select
        id={id}
        class="language-select"
        title={t("sidebar.language")}
        value={language()}
        onChange={(e) => {
          const v = e.currentTarget.value;
          if (isLang(v) && v !== language()) chooseLanguage(v);
        }}
      >
        {Object.keys(LANGUAGES).map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l as keyof typeof LANGUAGE_NAMES]}
          </option>
        ))}
      </select>
    </span>
  );
}
