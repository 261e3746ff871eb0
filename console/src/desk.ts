// The alert desk: open alerts grouped one row per target (an incident: every kind raised on
// one boat, its fused echoes included), highest level first, then the longest waiting.

import { get, query } from "./api";
import { h, replace } from "./dom";
import { age, t, tv } from "./i18n";
import { displayName } from "./map/picture";
import { store } from "./store";
import type { Alert, AlertState, EventKind, Level } from "./types";
import { ALL_STATES, EVENT_KINDS, LEVELS, OPEN_STATES } from "./types";

const RANK: Record<Level, number> = { red: 4, orange: 3, yellow: 2, blue: 1 };

export interface Incident {
  key: string;
  alerts: Alert[];
  top: Alert;
  since: string;
}

export interface Filters {
  level: Level | "";
  kind: EventKind | "";
  state: AlertState | "open";
  jurisdiction: string;
}

export function incidents(alerts: Iterable<Alert>, filters: Filters): Incident[] {
  const groups = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const stateOk = filters.state === "open" ? OPEN_STATES.includes(alert.state) : alert.state === filters.state;
    if (!stateOk) continue;
    if (filters.level && alert.level !== filters.level) continue;
    if (filters.kind && alert.kind !== filters.kind) continue;
    if (filters.jurisdiction && alert.jurisdiction !== filters.jurisdiction) continue;
    const key = store.canonical(alert.target);
    const group = groups.get(key) ?? [];
    group.push(alert);
    groups.set(key, group);
  }
  const rows: Incident[] = [];
  for (const [key, group] of groups) {
    group.sort((a, b) => RANK[b.level] - RANK[a.level] || Date.parse(a.created_at) - Date.parse(b.created_at));
    const since = group.reduce((min, a) => (a.created_at < min ? a.created_at : min), group[0].created_at);
    rows.push({ key, alerts: group, top: group[0], since });
  }
  rows.sort((a, b) => RANK[b.top.level] - RANK[a.top.level] || Date.parse(a.since) - Date.parse(b.since));
  return rows;
}

export function levelBadge(level: Level | null): HTMLElement {
  return h("span", { class: `badge level-${level ?? "none"}`, "data-level": level ?? "none" }, level ? t(`level_${level}`) : t("level_none"));
}

function select(name: string, options: [string, string][], value: string, onChange: (value: string) => void): HTMLLabelElement {
  const el = h("select", { name, "data-filter": name }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  el.addEventListener("change", () => onChange(el.value));
  return h("label", { class: "filter" }, h("span", {}, t(`filter_${name}` as "filter_level")), el);
}

export class Desk {
  readonly el = h("section", { class: "desk", "data-testid": "desk" });
  private readonly list = h("ol", { class: "desk-rows", "data-testid": "desk-rows" });
  private readonly filterBar = h("div", { class: "filters" });
  private filters: Filters = { level: "", kind: "", state: "open", jurisdiction: "" };
  private flashing = new Set<string>();
  private selectedKey: string | null = null;

  constructor(private readonly openIncident: (incident: Incident) => void) {
    store.on("alerts", () => this.renderRows());
    store.on("picture", () => this.renderRowsSoon());
    setInterval(() => this.renderRows(), 15_000); // ages
    this.render();
  }

  render(): void {
    this.rowCache.clear();
    this.renderFilters();
    replace(this.el, h("h2", {}, t("desk_title")), this.filterBar, this.list);
    this.renderRows();
  }

  flash(alertId: string): void {
    this.flashing.add(alertId);
    this.renderRows();
    setTimeout(() => {
      this.flashing.delete(alertId);
      this.renderRows();
    }, 12_000);
  }

  select(key: string | null): void {
    this.selectedKey = key;
    this.renderRows();
  }

  private renderFilters(): void {
    const any: [string, string] = ["", t("filter_any")];
    const areas = store.jurisdictions.features.map((f) => [f.properties.id, f.properties.name] as [string, string]);
    replace(
      this.filterBar,
      select("level", [any, ...LEVELS.map((l) => [l, t(`level_${l}`)] as [string, string])], this.filters.level, (v) => this.setFilter({ level: v as Level | "" })),
      select("kind", [any, ...EVENT_KINDS.map((k) => [k, tv("kind", k)] as [string, string])], this.filters.kind, (v) => this.setFilter({ kind: v as EventKind | "" })),
      select("state", [["open", t("state_open")], ...ALL_STATES.map((s) => [s, tv("state", s)] as [string, string])], this.filters.state, (v) => this.setFilter({ state: v as AlertState | "open" })),
      select("jurisdiction", [any, ...areas], this.filters.jurisdiction, (v) => this.setFilter({ jurisdiction: v })),
    );
  }

  private setFilter(change: Partial<Filters>): void {
    this.filters = { ...this.filters, ...change };
    if (change.state && change.state !== "open") {
      void get<Alert[]>(`/api/v1/alerts${query({ state: change.state, limit: 500 })}`).then((alerts) => store.loadAlerts(alerts));
    }
    this.renderRows();
  }

  private row(incident: Incident, flash: boolean, now: number): HTMLLIElement {
    const top = incident.top;
    const kinds = [...new Set(incident.alerts.map((a) => tv("kind", a.kind)))].join(" · ");
    const states = [...new Set(incident.alerts.map((a) => tv("state", a.state)))].join(", ");
    const track = store.picture.get(incident.key);
    const li = h(
      "li",
      {
        class: `desk-row level-${top.level}${flash ? " flash" : ""}${this.selectedKey === incident.key ? " selected" : ""}`,
        "data-target": incident.key,
        "data-level": top.level,
        "data-jurisdiction": top.jurisdiction ?? "",
        "data-alerts": incident.alerts.map((a) => a.id).join(" "),
        tabindex: 0,
      },
      levelBadge(top.level),
      h(
        "div",
        { class: "row-main" },
        h("div", { class: "row-title" }, h("span", { class: "row-name" }, displayName(track, incident.key)), h("span", { class: "row-score" }, String(Math.round(top.score)))),
        h("div", { class: "row-kinds" }, kinds),
        h(
          "div",
          { class: "row-meta" },
          h("span", {}, states),
          h("span", {}, t("ago", { age: age(incident.since, now) })),
          incident.alerts.length > 1 ? h("span", {}, t("row_alerts", { n: incident.alerts.length })) : null,
          top.jurisdiction ? h("span", {}, store.jurisdictionName(top.jurisdiction)) : null,
          top.silenced ? h("span", { class: "muted" }, t("silenced")) : null,
          top.escalations > 0 ? h("span", { class: "muted" }, t("escalated", { n: top.escalations })) : null,
        ),
      ),
    );
    // The row's incident is looked up when clicked: a kept row opens what it shows now.
    const open = () => {
      const fresh = incidents(store.alerts.values(), this.filters).find((i) => i.key === incident.key) ?? incident;
      this.openIncident(fresh);
    };
    li.addEventListener("click", open);
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter") open();
    });
    return li;
  }

  private soon = false;
  private renderRowsSoon(): void {
    if (this.soon) return;
    this.soon = true;
    setTimeout(() => {
      this.soon = false;
      this.renderRows();
    }, 1000);
  }

  /** Rows are kept per target and rebuilt only when what they show changed, and the list is
   * touched only when its order changed: a row does not move under the user's pointer. */
  private rowCache = new Map<string, { li: HTMLLIElement; signature: string }>();

  renderRows(): void {
    const rows = incidents(store.alerts.values(), this.filters);
    const now = Date.now();
    const wanted: HTMLLIElement[] = [];
    const seen = new Set<string>();
    for (const incident of rows) {
      const track = store.picture.get(incident.key);
      const flash = incident.alerts.some((a) => this.flashing.has(a.id));
      const signature = JSON.stringify([
        incident.alerts.map((a) => [a.id, a.level, a.state, a.score, a.silenced, a.escalations, a.updated_at]),
        displayName(track, incident.key),
        age(incident.since, now),
        flash,
        this.selectedKey === incident.key,
      ]);
      seen.add(incident.key);
      const cached = this.rowCache.get(incident.key);
      if (cached && cached.signature === signature) {
        wanted.push(cached.li);
        continue;
      }
      const li = this.row(incident, flash, now);
      this.rowCache.set(incident.key, { li, signature });
      wanted.push(li);
    }
    for (const key of [...this.rowCache.keys()]) if (!seen.has(key)) this.rowCache.delete(key);
    const current = Array.from(this.list.children);
    const same = current.length === wanted.length && current.every((el, i) => el === wanted[i]);
    if (!same) {
      if (wanted.length === 0) replace(this.list, h("li", { class: "empty" }, t("desk_empty")));
      else replace(this.list, wanted);
    }
    document.body.dataset.deskRows = String(rows.length);
  }
}
