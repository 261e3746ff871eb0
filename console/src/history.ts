// History playback: the tracks of a window and an area from /api/v1/tracks, played with a
// playhead; the window's events are marked on the timeline and on the map as they happen.

import { ApiError, get, query } from "./api";
import { h, replace, svg } from "./dom";
import { clock, t, tv } from "./i18n";
import { bboxOf } from "./geo";
import type { BBox } from "./geo";
import type { ConsoleMap } from "./map/map";
import { store } from "./store";
import type { AppEvent, Track, Tracks } from "./types";

const MAX_SPAN = 5;
const TRAIL_MS = 5 * 60_000;

function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

interface Loaded {
  start: number;
  end: number;
  tracks: { track: Track; times: number[] }[];
  events: AppEvent[];
}

export class HistoryView {
  readonly el = h("section", { class: "history-view", "data-testid": "history" });
  private loaded: Loaded | null = null;
  private playhead = 0;
  private playing = false;
  private speed = 60;
  private lastTick = 0;
  private readonly slider = h("input", { type: "range", min: 0, max: 1, step: 1, value: 0, class: "playhead", "data-testid": "playhead" });
  private readonly clockLabel = h("div", { class: "playhead-time", "data-testid": "playhead-time" });
  private readonly info = h("p", { class: "muted", "data-testid": "history-info" });
  private readonly ticks = h("div", { class: "ticks" });
  private readonly playButton = h("button", { type: "button", "data-testid": "play" }, t("history_play"));

  constructor(
    private readonly map: ConsoleMap,
    private readonly exit: () => void,
  ) {
    this.slider.addEventListener("input", () => {
      this.playhead = Number(this.slider.value);
      this.draw();
    });
    this.playButton.addEventListener("click", () => this.toggle());
  }

  render(): void {
    const now = Date.now();
    const from = h("input", { type: "datetime-local", name: "from", value: localInput(now - 3600_000) });
    const to = h("input", { type: "datetime-local", name: "to", value: localInput(now) });
    const area = h(
      "select",
      { name: "area", "data-testid": "history-area" },
      h("option", { value: "" }, t("history_area_view")),
      store.jurisdictions.features.map((f) => h("option", { value: f.properties.id }, f.properties.name)),
    );
    const speed = h("select", { name: "speed" }, [10, 60, 300, 1200].map((s) => h("option", { value: s, selected: s === this.speed }, `×${s}`)));
    speed.addEventListener("change", () => (this.speed = Number(speed.value)));
    const load = h("button", { type: "button", class: "primary", "data-testid": "history-load" }, t("history_load"));
    load.addEventListener("click", () => void this.load(Date.parse(from.value), Date.parse(to.value), area.value));
    replace(
      this.el,
      h("h2", {}, t("history_title")),
      h(
        "div",
        { class: "history-form" },
        h("label", { class: "field" }, h("span", {}, t("history_from")), from),
        h("label", { class: "field" }, h("span", {}, t("history_to")), to),
        h("label", { class: "field" }, h("span", {}, t("history_area")), area),
        load,
      ),
      this.info,
      h("div", { class: "timeline-box" }, this.ticks, this.slider),
      h("div", { class: "playbar" }, this.playButton, h("label", { class: "field inline" }, h("span", {}, t("history_speed")), speed), this.clockLabel),
      h("button", { type: "button", class: "link", onclick: () => this.exit() }, t("history_exit")),
    );
  }

  private async load(start: number, end: number, area: string): Promise<void> {
    let box: BBox = this.map.bbox();
    const feature = store.jurisdictions.features.find((f) => f.properties.id === area);
    if (feature) box = bboxOf(feature.geometry);
    if (box[2] - box[0] > MAX_SPAN || box[3] - box[1] > MAX_SPAN) {
      replace(this.info, t("history_too_large"));
      return;
    }
    replace(this.info, t("loading"));
    const window = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
    try {
      const [tracks, events] = await Promise.all([
        get<Tracks>(`/api/v1/tracks${query({ bbox: box.map((v) => v.toFixed(5)).join(","), ...window, limit: 20000 })}`),
        get<AppEvent[]>(`/api/v1/events${query({ ...window, limit: 500 })}`),
      ]);
      const inBox = (e: AppEvent) => e.lon >= box[0] && e.lon <= box[2] && e.lat >= box[1] && e.lat <= box[3];
      this.loaded = {
        start,
        end,
        tracks: tracks.tracks.map((track) => ({ track, times: track.points.map((p) => Date.parse(p.time)) })),
        events: events.filter(inBox),
      };
      replace(this.info, t("history_loaded", { tracks: tracks.tracks.length, points: tracks.points, events: this.loaded.events.length }), tracks.truncated ? ` ${t("history_truncated")}` : "");
      if (feature) this.map.map.fitBounds([box[0], box[1], box[2], box[3]], { padding: 30, duration: 0 });
    } catch (error) {
      replace(this.info, error instanceof ApiError ? error.detail : t("error_network"));
      return;
    }
    this.slider.min = String(start);
    this.slider.max = String(end);
    this.slider.step = "1000";
    this.playhead = start;
    this.slider.value = String(start);
    this.map.showLive(false);
    this.drawTicks();
    this.draw();
  }

  private drawTicks(): void {
    const loaded = this.loaded;
    if (!loaded) return;
    const span = Math.max(1, loaded.end - loaded.start);
    const bar = svg("svg", { viewBox: "0 0 1000 14", preserveAspectRatio: "none", width: "100%", height: 14 });
    for (const event of loaded.events) {
      const x = (1000 * (Date.parse(event.start) - loaded.start)) / span;
      bar.appendChild(svg("rect", { x: x - 1.5, y: 0, width: 3, height: 14, class: `tick kind-${event.kind}` }, svg("title", {}, `${tv("kind", event.kind)} ${clock(event.start)}`)));
    }
    replace(this.ticks, bar);
  }

  private toggle(): void {
    this.playing = !this.playing;
    replace(this.playButton, this.playing ? t("history_pause") : t("history_play"));
    if (this.playing) {
      this.lastTick = performance.now();
      requestAnimationFrame((now) => this.tick(now));
    }
  }

  private tick(now: number): void {
    if (!this.playing || !this.loaded) return;
    this.playhead = Math.min(this.loaded.end, this.playhead + (now - this.lastTick) * this.speed);
    this.lastTick = now;
    this.slider.value = String(this.playhead);
    this.draw();
    if (this.playhead >= this.loaded.end) this.toggle();
    else requestAnimationFrame((next) => this.tick(next));
  }

  private draw(): void {
    const loaded = this.loaded;
    if (!loaded) return;
    const at = this.playhead;
    replace(this.clockLabel, clock(new Date(at).toISOString()));
    const targets: GeoJSON.Feature[] = [];
    const trails: GeoJSON.Feature[] = [];
    for (const { track, times } of loaded.tracks) {
      let hi = times.length - 1;
      if (times.length === 0 || times[0] > at) continue;
      let lo = 0;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid] <= at) lo = mid;
        else hi = mid - 1;
      }
      if (at - times[lo] > TRAIL_MS) continue; // gone quiet
      const p = track.points[lo];
      targets.push({ type: "Feature", properties: { icon: `sym|${track.source}|none`, course: p.cog_deg ?? 0, key: track.target }, geometry: { type: "Point", coordinates: [p.lon, p.lat] } });
      const coords: [number, number][] = [];
      for (let i = lo; i >= 0 && at - times[i] <= TRAIL_MS; i--) coords.push([track.points[i].lon, track.points[i].lat]);
      if (coords.length > 1) trails.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: coords } });
    }
    const events = loaded.events
      .filter((e) => Date.parse(e.start) <= at && at - Date.parse(e.start) < 10 * 60_000)
      .map((e) => ({ type: "Feature" as const, properties: { kind: e.kind }, geometry: { type: "Point" as const, coordinates: [e.lon, e.lat] } }));
    this.map.set("history-targets", { type: "FeatureCollection", features: targets });
    this.map.set("history-trails", { type: "FeatureCollection", features: trails });
    this.map.set("history-events", { type: "FeatureCollection", features: events });
    document.body.dataset.historyTargets = String(targets.length);
  }

  clear(): void {
    this.playing = false;
    this.loaded = null;
    for (const id of ["history-targets", "history-trails", "history-events"] as const) this.map.set(id, { type: "FeatureCollection", features: [] });
    this.map.showLive(true);
  }
}
