// One incident's alert in detail: why it is scored as it is (the named factors and their
// points), the events with their facts, camera snapshots, the track on the map, suggested
// units with ETA, the actions the caller's role allows, and the audit history.

import { ApiError, blobUrl, get, post, query } from "./api";
import { h, replace } from "./dom";
import { age, clock, duration, t, tv } from "./i18n";
import type { Key } from "./i18n";
import { distanceM } from "./geo";
import { displayName } from "./map/picture";
import { levelBadge } from "./desk";
import type { Incident } from "./desk";
import { store } from "./store";
import type { Alert, AlertDetail, Assignment, DispatchOptions, Role, Tracks } from "./types";
import { OUTCOMES } from "./types";

type ActionName = "acknowledge" | "dispatch" | "resolve" | "review";

const ALLOWED: Record<string, ActionName[]> = {
  new: ["acknowledge", "resolve"],
  acknowledged: ["dispatch", "resolve"],
  dispatched: ["dispatch", "resolve"],
  resolved: ["review"],
  reviewed: [],
};

const ACTION_KEY: Record<string, Key> = {
  acknowledge: "action_ack",
  dispatch: "action_dispatch",
  resolve: "action_resolve",
  review: "action_review",
  assign: "action_dispatch",
  silence: "action_silence",
  created: "action_created",
  cue: "action_cue_audit",
};

export function may(role: Role | undefined, action: ActionName | "silence"): boolean {
  if (role === "admin") return true;
  switch (action) {
    case "acknowledge":
      return role === "operator" || role === "dispatcher";
    case "dispatch":
    case "resolve":
      return role === "dispatcher";
    case "review":
      return role === "engineer";
    case "silence":
      return role === "dispatcher" || role === "engineer";
  }
}

/** A 409's text ("cannot X an alert that is S; allowed: a, b") as a sentence in the user's
 * language naming what is allowed now. */
export function conflictMessage(detail: string): string {
  const match = /that is (\w+); allowed: (.+)$/.exec(detail);
  if (!match) return t("action_failed", { detail });
  const allowed = match[2].startsWith("none")
    ? t("action_conflict_none")
    : match[2]
        .split(",")
        .map((a) => a.trim())
        .map((a) => (ACTION_KEY[a] ? t(ACTION_KEY[a]) : a))
        .join(", ");
  return t("action_conflict", { state: tv("state", match[1]), allowed });
}

function field(labelKey: Key, control: HTMLElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, t(labelKey)), control);
}

export interface DetailHost {
  showTrack(tracks: Tracks, fly: [number, number]): void;
}

export class Detail {
  readonly el = h("section", { class: "detail", "data-testid": "detail" });
  private incident: Incident | null = null;
  private alertId: string | null = null;
  private message = h("p", { class: "message", role: "status", "data-testid": "action-message" });
  private snapshotUrls: string[] = [];

  constructor(
    private readonly host: DetailHost,
    private readonly onBack: () => void,
  ) {
    store.on("alerts", () => {
      const current = this.alertId ? store.alerts.get(this.alertId) : null;
      if (current && this.shownUpdatedAt && current.updated_at !== this.shownUpdatedAt) void this.load();
    });
  }

  private shownUpdatedAt: string | null = null;

  async show(incident: Incident, alertId: string = incident.top.id): Promise<void> {
    this.incident = incident;
    this.alertId = alertId;
    replace(this.message);
    await this.load();
  }

  get currentAlert(): string | null {
    return this.alertId;
  }

  async load(): Promise<void> {
    if (!this.alertId) return;
    const id = this.alertId;
    if (this.keptFor !== id) replace(this.el, h("p", {}, t("loading")));
    let detail: AlertDetail;
    try {
      detail = await get<AlertDetail>(`/api/v1/alerts/${id}`);
    } catch (error) {
      replace(this.el, this.backButton(), h("p", { class: "error" }, error instanceof ApiError ? error.detail : t("error_network")));
      return;
    }
    if (id !== this.alertId) return;
    this.shownUpdatedAt = detail.alert.updated_at;
    store.upsertAlert(detail.alert);
    const role = store.me?.role;
    const [options, assignments] = await Promise.all([
      may(role, "dispatch") && ["new", "acknowledged", "dispatched"].includes(detail.alert.state)
        ? get<DispatchOptions>(`/api/v1/alerts/${id}/suggestions`).catch(() => null)
        : Promise.resolve(null),
      get<Assignment[]>(`/api/v1/alerts/${id}/assignments`).catch(() => [] as Assignment[]),
    ]);
    if (id !== this.alertId) return;
    this.render(detail, options, assignments);
  }

  private backButton(): HTMLButtonElement {
    return h("button", { class: "back", type: "button", onclick: () => this.onBack() }, `← ${t("back")}`);
  }

  /** What the user has typed or picked in the panel, by field name: a live update redraws the
   * panel, and must not throw away a half-written note. */
  private formState(): Map<string, string> {
    const kept = new Map<string, string>();
    for (const el of this.el.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input[name], select[name]")) {
      kept.set(el.name, el.value);
    }
    return kept;
  }

  private restoreForm(kept: Map<string, string>, focused: string | null): void {
    for (const el of this.el.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input[name], select[name]")) {
      const value = kept.get(el.name);
      if (value === undefined || this.cleared.has(el.name)) continue;
      if (el instanceof HTMLSelectElement && !Array.from(el.options).some((o) => o.value === value)) continue;
      el.value = value;
      if (el.name === focused) el.focus();
    }
    this.cleared.clear();
  }

  private cleared = new Set<string>();
  private keptFor: string | null = null;

  private render(detail: AlertDetail, options: DispatchOptions | null, assignments: Assignment[]): void {
    const alert = detail.alert;
    // Read at the moment of redrawing (not when the load began): what was typed meanwhile too.
    const refresh = this.keptFor === alert.id;
    const kept = refresh ? this.formState() : new Map<string, string>();
    const active = document.activeElement;
    const focused = refresh && active instanceof HTMLInputElement && this.el.contains(active) ? active.name : null;
    this.keptFor = alert.id;
    const track = store.picture.get(store.canonical(alert.target));
    for (const url of this.snapshotUrls) URL.revokeObjectURL(url);
    this.snapshotUrls = [];
    const others = (this.incident?.alerts ?? []).filter((a) => a.id !== alert.id);
    replace(
      this.el,
      this.backButton(),
      h(
        "header",
        { class: "detail-head" },
        levelBadge(alert.level),
        h("h2", {}, tv("kind", alert.kind)),
        h("span", { class: "state", "data-testid": "alert-state" }, tv("state", alert.state)),
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("detail_target")),
        h("dd", { "data-testid": "detail-target" }, `${displayName(track, alert.target)} (${alert.target})`),
        alert.zone ? [h("dt", {}, t("detail_zone")), h("dd", {}, alert.zone)] : null,
        h("dt", {}, t("jurisdiction")),
        h("dd", {}, store.jurisdictionName(alert.jurisdiction) || t("unknown")),
        h("dt", {}, t("detail_created")),
        h("dd", {}, `${clock(alert.created_at)} (${t("ago", { age: age(alert.created_at) })})`),
      ),
      others.length
        ? h(
            "div",
            { class: "others" },
            h("h3", {}, t("detail_other_alerts")),
            ...(this.incident?.alerts ?? []).map((a) =>
              h(
                "button",
                { type: "button", class: `chip${a.id === alert.id ? " active" : ""}`, "data-alert": a.id, onclick: () => this.incident && void this.show(this.incident, a.id) },
                `${t(`level_${a.level}`)} · ${tv("kind", a.kind)}`,
              ),
            ),
          )
        : null,
      this.factors(alert),
      this.message,
      this.actions(alert, options),
      assignments.length ? this.assignments(assignments) : null,
      h("button", { type: "button", class: "link", "data-testid": "show-track", onclick: () => void this.showTrack(alert) }, t("detail_show_track")),
      this.events(detail),
      this.history(detail),
    );
    this.restoreForm(kept, focused);
  }

  private factors(alert: Alert): HTMLElement {
    const max = Math.max(1, ...alert.factors.map((f) => f.points));
    return h(
      "section",
      { class: "factors", "data-testid": "factors" },
      h("h3", {}, t("detail_score", { score: Math.round(alert.score) })),
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          alert.factors.map((f) =>
            h(
              "tr",
              { "data-factor": f.name },
              h("th", {}, f.name),
              h("td", { class: "bar-cell" }, h("span", { class: "bar", style: `width:${Math.round((100 * f.points) / max)}%` })),
              h("td", { class: "num" }, t("detail_points", { n: Math.round(f.points) })),
              h("td", { class: "muted" }, f.detail),
            ),
          ),
        ),
      ),
    );
  }

  private actions(alert: Alert, options: DispatchOptions | null): HTMLElement {
    const role = store.me?.role;
    const allowed = ALLOWED[alert.state] ?? [];
    const parts: HTMLElement[] = [];
    // Actions the role may take are always offered; those the state does not allow now are
    // shown as such, and if tried the service's 409 is explained (a colleague may have moved
    // the alert on meanwhile, so the server decides).
    const now = (action: ActionName) => (allowed.includes(action) ? "" : " not-now");
    if (may(role, "acknowledge")) {
      const note = h("input", { type: "text", name: "ack-note", maxlength: 2000, placeholder: t("action_note") });
      parts.push(
        h(
          "div",
          { class: "action", "data-action": "acknowledge" },
          note,
          h("button", { type: "button", class: `primary${now("acknowledge")}`, "data-testid": "ack", onclick: () => void this.act("acknowledge", { note: note.value }) }, t("action_ack")),
        ),
      );
    }
    if (may(role, "dispatch")) {
      const suggestions = options?.suggestions ?? [];
      const unit = h(
        "select",
        { name: "unit", "data-testid": "dispatch-unit" },
        suggestions.map((s) =>
          h("option", { value: s.unit_id }, `${s.name} — ${t("detail_distance", { km: (s.distance_m / 1000).toFixed(1) })}${s.eta_s !== null ? `, ${t("detail_eta", { eta: duration(s.eta_s) })}` : ""}`),
        ),
      );
      const note = h("input", { type: "text", name: "dispatch-note", maxlength: 2000, placeholder: t("action_note") });
      parts.push(
        h(
          "div",
          { class: "action", "data-action": "dispatch", "data-testid": "dispatch-controls" },
          h("h3", {}, t("detail_suggestions")),
          suggestions.length
            ? h(
                "ol",
                { class: "suggestions", "data-testid": "suggestions" },
                suggestions.map((s) =>
                  h(
                    "li",
                    { "data-unit": s.unit_id },
                    h("strong", {}, s.name),
                    ` ${tv("unit", s.kind)} · ${t("detail_distance", { km: (s.distance_m / 1000).toFixed(1) })}`,
                    s.eta_s !== null ? ` · ${t("detail_eta", { eta: duration(s.eta_s) })}` : "",
                  ),
                ),
              )
            : h("p", { class: "muted" }, t("detail_no_suggestions")),
          field("action_unit", unit),
          note,
          h(
            "button",
            { type: "button", class: `primary${now("dispatch")}`, "data-testid": "dispatch", disabled: suggestions.length === 0, onclick: () => void this.act("dispatch", { unit_id: unit.value, note: note.value }) },
            t("action_dispatch"),
          ),
        ),
      );
      const outcome = h("select", { name: "outcome", "data-testid": "outcome" }, OUTCOMES.map((o) => h("option", { value: o }, tv("outcome", o))));
      const resolveNote = h("input", { type: "text", name: "resolve-note", maxlength: 2000, required: true, placeholder: t("action_note"), "data-testid": "resolve-note" });
      parts.push(
        h(
          "div",
          { class: "action", "data-action": "resolve" },
          field("action_outcome", outcome),
          resolveNote,
          h(
            "button",
            {
              type: "button",
              class: now("resolve").trim(),
              "data-testid": "resolve",
              onclick: () => {
                if (!resolveNote.value.trim()) {
                  resolveNote.focus();
                  resolveNote.reportValidity();
                  return;
                }
                void this.act("resolve", { outcome: outcome.value, note: resolveNote.value });
              },
            },
            t("action_resolve"),
          ),
        ),
      );
    }
    if (may(role, "review")) {
      const note = h("input", { type: "text", name: "review-note", maxlength: 2000, placeholder: t("action_note") });
      parts.push(
        h(
          "div",
          { class: "action", "data-action": "review" },
          note,
          h("button", { type: "button", class: now("review").trim(), "data-testid": "review", onclick: () => void this.act("review", { note: note.value }) }, t("action_review")),
        ),
      );
    }
    if (may(role, "silence")) {
      const minutes = h("input", { type: "number", name: "silence-minutes", min: 1, max: 43200, value: 60 });
      const reason = h("input", { type: "text", name: "silence-reason", maxlength: 500, placeholder: t("silence_reason") });
      parts.push(
        h(
          "div",
          { class: "action", "data-action": "silence" },
          field("silence_minutes", minutes),
          reason,
          h(
            "button",
            {
              type: "button",
              "data-testid": "silence",
              onclick: () => {
                if (!reason.value.trim()) {
                  reason.focus();
                  return;
                }
                void this.silence(alert, Number(minutes.value), reason.value);
              },
            },
            t("action_silence"),
          ),
        ),
      );
    }
    const cue = may(role, "dispatch") ? this.cueControls(alert) : null;
    if (cue) parts.push(cue);
    return h("section", { class: "actions", "data-testid": "actions" }, h("h3", {}, t("detail_actions")), parts);
  }

  /** The operator's override of automatic cueing: a PTZ camera of the site, nearest first,
   * pointed at the alert's target (the service leads it by the track's motion and holds it for
   * the operator a while), or given back. Dispatchers and admins, as the API requires. */
  private cueControls(alert: Alert): HTMLElement | null {
    const cameras = store.sensors
      .filter((s) => s.ptz && s.lat !== null && s.lon !== null)
      .map((s) => ({ id: s.id, m: distanceM(s.lon as number, s.lat as number, alert.lon, alert.lat) }))
      .sort((a, b) => a.m - b.m);
    if (!cameras.length) return null;
    const camera = h(
      "select",
      { name: "ptz-camera", "data-testid": "cue-camera" },
      cameras.map((c) => h("option", { value: c.id }, `${c.id} — ${t("cue_distance", { km: (c.m / 1000).toFixed(1) })}`)),
    );
    return h(
      "div",
      { class: "action", "data-action": "cue", "data-testid": "cue-controls" },
      h("h3", {}, t("detail_cue")),
      field("cue_camera", camera),
      h("button", { type: "button", "data-testid": "cue", onclick: () => void this.cue(camera.value, false) }, t("action_cue")),
      h("button", { type: "button", "data-testid": "cue-release", onclick: () => void this.cue(camera.value, true) }, t("action_cue_release")),
    );
  }

  private async cue(camera: string, release: boolean): Promise<void> {
    const id = this.alertId;
    if (!id) return;
    try {
      await post(`/api/v1/cameras/${encodeURIComponent(camera)}/cue`, { alert_id: id, release });
      this.say(t(release ? "cue_released" : "cue_done", { camera }), false);
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) this.say(t("action_forbidden"), true);
      else this.say(t("action_failed", { detail: error instanceof ApiError ? error.detail : t("error_network") }), true);
    }
    await this.reloadKeepingMessage();
  }

  private async act(action: ActionName, body: Record<string, string>): Promise<void> {
    const id = this.alertId;
    if (!id) return;
    const path = action === "acknowledge" ? "ack" : action;
    try {
      await post(`/api/v1/alerts/${id}/${path}`, body);
      this.say(t("action_done", { action: t(ACTION_KEY[action]) }), false);
      this.cleared = new Set([`${action === "acknowledge" ? "ack" : action}-note`]);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) this.say(conflictMessage(error.detail), true);
      else if (error instanceof ApiError && error.status === 403) this.say(t("action_forbidden"), true);
      else this.say(t("action_failed", { detail: error instanceof ApiError ? error.detail : t("error_network") }), true);
    }
    await this.reloadKeepingMessage();
  }

  /** Reload after an action without losing what it said (the reload redraws the panel). */
  private async reloadKeepingMessage(): Promise<void> {
    const keep = this.message.cloneNode(true);
    await this.load();
    replace(this.message, ...Array.from(keep.childNodes));
    this.message.className = (keep as HTMLElement).className;
  }

  private async silence(alert: Alert, minutes: number, reason: string): Promise<void> {
    const ends = new Date(Date.now() + Math.max(1, minutes) * 60_000).toISOString();
    try {
      await post("/api/v1/silences", { target: alert.target, kind: alert.kind, ends_at: ends, reason });
      this.say(t("silence_done", { until: clock(ends) }), false);
    } catch (error) {
      this.say(t("action_failed", { detail: error instanceof ApiError ? error.detail : t("error_network") }), true);
    }
  }

  private say(text: string, error: boolean): void {
    this.message.className = `message${error ? " error" : " ok"}`;
    replace(this.message, text);
  }

  private assignments(list: Assignment[]): HTMLElement {
    const unitName = (id: string) => store.units.find((u) => u.id === id)?.name ?? id;
    return h(
      "section",
      { class: "assignments" },
      h("h3", {}, t("detail_assignments")),
      h("ul", {}, list.map((a) => h("li", {}, `${unitName(a.unit_id)} · ${clock(a.assigned_at)} · ${a.assigned_by}${a.eta_s !== null ? ` · ${t("detail_eta", { eta: duration(a.eta_s) })}` : ""}`))),
    );
  }

  private events(detail: AlertDetail): HTMLElement {
    const snapshots = h("div", { class: "snapshots", "data-testid": "snapshots" });
    let any = false;
    for (const event of detail.events) {
      for (const url of event.evidence) {
        if (!url.startsWith("/api/v1/")) continue; // only the service's own evidence
        any = true;
        const img = h("img", { alt: `${tv("kind", event.kind)} ${clock(event.start)}`, class: "snapshot" });
        snapshots.appendChild(img);
        void blobUrl(url)
          .then((src) => {
            this.snapshotUrls.push(src);
            img.src = src;
          })
          .catch(() => img.remove());
      }
    }
    if (!any) snapshots.appendChild(h("p", { class: "muted" }, t("detail_no_snapshots")));
    const sorted = [...detail.events].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    return h(
      "section",
      { class: "events" },
      h("h3", {}, t("detail_events")),
      h(
        "ol",
        { class: "timeline", "data-testid": "events" },
        sorted.map((e) =>
          h(
            "li",
            { "data-kind": e.kind },
            h("div", { class: "when" }, clock(e.start), e.end ? ` – ${clock(e.end)}` : ""),
            h("div", {}, h("strong", {}, tv("kind", e.kind)), e.zone ? ` · ${e.zone}` : "", ` · ${e.targets.join(", ")}`),
            h(
              "dl",
              { class: "event-facts" },
              Object.entries(e.facts).map(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v))]),
            ),
          ),
        ),
      ),
      h("h3", {}, t("detail_snapshots")),
      snapshots,
    );
  }

  private history(detail: AlertDetail): HTMLElement {
    return h(
      "section",
      { class: "history" },
      h("h3", {}, t("detail_history")),
      h(
        "ol",
        { class: "audit", "data-testid": "audit" },
        detail.history.map((entry) =>
          h(
            "li",
            { "data-action": entry.action },
            h("span", { class: "when" }, clock(entry.at)),
            " ",
            h("strong", {}, t("audit_by", { action: ACTION_KEY[entry.action] ? t(ACTION_KEY[entry.action]) : entry.action, actor: entry.actor })),
            ` ${entry.from_state ? tv("state", entry.from_state) : "∅"} → ${tv("state", entry.to_state)}`,
            entry.note ? h("div", { class: "note" }, entry.note) : null,
          ),
        ),
      ),
    );
  }

  private async showTrack(alert: Alert): Promise<void> {
    const span = 0.25;
    const bbox = [alert.lon - span, alert.lat - span, alert.lon + span, alert.lat + span].map((v) => v.toFixed(4)).join(",");
    const start = new Date(Date.parse(alert.created_at) - 3600_000).toISOString();
    try {
      const tracks = await get<Tracks>(`/api/v1/tracks${query({ bbox, start, target: alert.target, limit: 5000 })}`);
      this.host.showTrack(tracks, [alert.lon, alert.lat]);
    } catch (error) {
      this.say(t("action_failed", { detail: error instanceof ApiError ? error.detail : t("error_network") }), true);
    }
  }
}
