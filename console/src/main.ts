// Entry point: sign in with an API key (kept in sessionStorage, for this tab only), then run
// the console. A sign-in link `/#key=…` is taken out of the address bar at once.

import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";
import { ApiError, forgetKey, get, setUnauthorisedHandler, storeKey, storedKey, takeKeyFromLink } from "./api";
import { ConsoleApp } from "./app";
import { h, replace } from "./dom";
import { LANGUAGES, lang, onLangChange, setLang, t } from "./i18n";
import type { Lang } from "./i18n";
import { unlockAudio } from "./sound";
import { store } from "./store";
import type { Me } from "./types";

const NOTICE = "shorewatch.notice";
const root = document.getElementById("app") as HTMLElement;
let running: ConsoleApp | null = null;

function signOut(notice?: string): void {
  running?.stop();
  running = null;
  forgetKey();
  if (notice) sessionStorage.setItem(NOTICE, notice);
  location.replace(location.pathname);
}

function signInForm(error?: string): void {
  const notice = error ?? sessionStorage.getItem(NOTICE) ?? "";
  sessionStorage.removeItem(NOTICE);
  const key = h("input", { type: "password", name: "key", autocomplete: "off", required: true, "data-testid": "key" });
  const langSelect = h("select", { "aria-label": t("language"), "data-testid": "lang" }, LANGUAGES.map((l) => h("option", { value: l.id, selected: l.id === lang() }, l.name)));
  langSelect.addEventListener("change", () => setLang(langSelect.value as Lang));
  const form = h(
    "form",
    { class: "signin", "data-testid": "signin" },
    h("h1", {}, t("app_title")),
    h("h2", {}, t("signin_title")),
    h("p", { class: "muted" }, t("signin_help")),
    h("label", { class: "field" }, h("span", {}, t("signin_key")), key),
    notice ? h("p", { class: "error", "data-testid": "signin-error" }, notice) : null,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", "data-testid": "signin-button" }, t("signin_button")), langSelect),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    unlockAudio();
    void signIn(key.value.trim());
  });
  replace(root, h("div", { class: "signin-page" }, form));
  key.focus();
}

async function signIn(key: string): Promise<void> {
  try {
    const me = await get<Me>("/api/v1/me", key);
    storeKey(key);
    await startConsole(me);
  } catch (error) {
    signInForm(error instanceof ApiError && (error.status === 401 || error.status === 403) ? t("signin_failed") : t("error_network"));
  }
}

async function startConsole(me: Me): Promise<void> {
  store.me = me;
  running = new ConsoleApp(root, signOut);
  await running.start();
}

async function boot(): Promise<void> {
  takeKeyFromLink();
  setUnauthorisedHandler(() => {
    if (running) signOut(t("signin_ended"));
  });
  onLangChange(() => {
    if (!running) signInForm();
  });
  const key = storedKey();
  if (!key) {
    signInForm();
    return;
  }
  try {
    await startConsole(await get<Me>("/api/v1/me", key));
  } catch (error) {
    forgetKey();
    signInForm(error instanceof ApiError && error.status === 401 ? t("signin_failed") : t("error_network"));
  }
}

void boot();
