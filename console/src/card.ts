// A target's card, opened by clicking it on the map: identity, last fix and its age, speed and
// course, the watch-list badge, its open alerts, and its track over the last hour.

import { ApiError, get, query } from "./api";
import { h, replace } from "./dom";
import { age, clock, t, tv } from "./i18n";
import { levelOf, displayName } from "./map/picture";
import { levelBadge } from "./desk";
import { store } from "./store";
import type { Tracks } from "./types";
import { OPEN_STATES } from "./types";

export class TargetCard {
  readonly el = h("aside", { class: "card hidden", "data-testid": "target-card" });
  private key: string | null = null;

  constructor(
    private readonly showTrack: (tracks: Tracks) => void,
    private readonly openAlert: (alertId: string) => void,
  ) {
    store.on("picture", () => this.key && this.render(false));
    store.on("alerts", () => this.key && this.render(false));
  }

  open(key: string): void {
    this.key = store.canonical(key);
    this.el.classList.remove("hidden");
    this.render(true);
  }

  close(): void {
    this.key = null;
    this.el.classList.add("hidden");
  }

  private trackInfo = h("p", { class: "muted", "data-testid": "card-track" });

  private render(fetchTrack: boolean): void {
    const key = this.key;
    if (!key) return;
    const track = store.picture.get(key);
    if (!track) {
      replace(this.el, h("button", { class: "close", type: "button", onclick: () => this.close() }, "×"), h("p", {}, key));
      return;
    }
    const keys = new Set([key, ...track.associated]);
    const alerts = [...store.alerts.values()].filter((a) => OPEN_STATES.includes(a.state) && (keys.has(a.target) || track.alert_ids.includes(a.id)));
    const row = (label: string, value: string | null | undefined, testid?: string) =>
      value === null || value === undefined || value === "" ? null : [h("dt", {}, label), h("dd", testid ? { "data-testid": testid } : {}, value)];
    const level = levelOf(track);
    replace(
      this.el,
      h("button", { class: "close", type: "button", "aria-label": t("close"), onclick: () => this.close() }, "×"),
      h(
        "header",
        {},
        levelBadge(level),
        h("h2", { "data-testid": "card-name" }, track.name?.trim() || displayName(track, key) || t("card_unnamed")),
        track.watchlisted ? h("span", { class: "badge watch", "data-testid": "watch-badge" }, t("card_watchlisted")) : null,
      ),
      h(
        "dl",
        { class: "facts" },
        row(t("card_sources"), [...new Set([...track.sources])].map((s) => tv("source", s)).join(" + ") + (track.associated.length ? ` (${track.associated.join(", ")})` : "")),
        row(t("card_mmsi"), track.mmsi ? String(track.mmsi) : null),
        row(t("card_callsign"), track.callsign, "card-callsign"),
        row(t("card_type"), track.ship_type_text ?? (track.ship_type !== null ? String(track.ship_type) : null)),
        row(t("card_length"), track.length_m !== null ? t("m", { n: Math.round(track.length_m) }) : null),
        row(t("card_last_fix"), `${track.lat.toFixed(5)}, ${track.lon.toFixed(5)} · ${clock(track.last_seen)} (${t("ago", { age: age(track.last_seen) })})`),
        row(t("card_speed"), track.sog_kn !== null ? t("kn", { n: track.sog_kn.toFixed(1) }) : null),
        row(t("card_course"), track.cog_deg !== null ? t("deg", { n: Math.round(track.cog_deg) }) : null),
        row(t("card_heading"), track.heading_deg !== null ? t("deg", { n: Math.round(track.heading_deg) }) : null),
        row(t("jurisdiction"), store.jurisdictionName(track.jurisdiction)),
      ),
      h("h3", {}, t("card_open_alerts")),
      alerts.length
        ? h(
            "ul",
            { class: "card-alerts" },
            alerts.map((a) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => this.openAlert(a.id) }, levelBadge(a.level), ` ${tv("kind", a.kind)} · ${tv("state", a.state)}`))),
          )
        : h("p", { class: "muted" }, t("card_no_alerts")),
      h("h3", {}, t("card_track")),
      this.trackInfo,
    );
    if (fetchTrack) void this.loadTrack(key, track.lon, track.lat);
  }

  private async loadTrack(key: string, lon: number, lat: number): Promise<void> {
    replace(this.trackInfo, t("loading"));
    const span = 0.3;
    const bbox = [Math.max(-180, lon - span), Math.max(-90, lat - span), Math.min(180, lon + span), Math.min(90, lat + span)].map((v) => v.toFixed(4)).join(",");
    try {
      const tracks = await get<Tracks>(`/api/v1/tracks${query({ bbox, target: key, limit: 5000 })}`);
      if (this.key !== key) return;
      const points = tracks.tracks.reduce((n, tr) => n + tr.points.length, 0);
      replace(this.trackInfo, t("card_track_points", { n: points }));
      this.showTrack(tracks);
    } catch (error) {
      replace(this.trackInfo, error instanceof ApiError ? error.detail : t("error_network"));
    }
  }
}
