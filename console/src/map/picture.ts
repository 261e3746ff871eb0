// The live picture as map features: one symbol per target (a fused radar/camera echo of an
// AIS vessel is drawn once, as its AIS vessel), its course vector scaled by speed, its trail
// of the last minutes, and a level badge with text on every target with an open alert.

import { destination } from "../geo";
import { t } from "../i18n";
import { store } from "../store";
import type { Level, PictureTrack } from "../types";
import { OPEN_STATES } from "../types";
import type { ConsoleMap } from "./map";

const VECTOR_MINUTES = 3;
/** Above this many targets in view, vectors and trails are drawn only for targets with an
 * alert (declutter: at that density they are unreadable anyway, and they cost the most). */
export const DECLUTTER_ABOVE = 2000;
const RANK: Record<Level | "none", number> = { none: 0, blue: 1, yellow: 2, orange: 3, red: 4 };

export function shapeOf(track: PictureTrack): "ais" | "radar" | "camera" | "fused" {
  const ais = track.sources.includes("ais");
  if (ais && (track.sources.length > 1 || track.associated.length > 0)) return "fused";
  if (ais) return "ais";
  return track.sources.includes("radar") ? "radar" : "camera";
}

export function displayName(track: PictureTrack | undefined, key: string): string {
  if (!track) return store.names.get(key)?.trim() || key;
  return track.name?.trim() || track.callsign?.trim() || (track.mmsi ? String(track.mmsi) : key);
}

/** The highest open alert level per target the desk knows (fused echoes counted on their
 * target), so that a new alert colours its target before the next picture update. */
function deskLevels(): Map<string, Level> {
  const levels = new Map<string, Level>();
  for (const alert of store.alerts.values()) {
    if (!OPEN_STATES.includes(alert.state)) continue;
    const key = store.canonical(alert.target);
    const known = levels.get(key);
    if (known === undefined || RANK[alert.level] > RANK[known]) levels.set(key, alert.level);
  }
  return levels;
}

function higher(a: Level | null, b: Level | undefined): Level | null {
  if (b === undefined) return a;
  return a === null || RANK[b] > RANK[a] ? b : a;
}

/** The highest open level on a target: the picture's own, or a newer alert the desk has. */
export function levelOf(track: PictureTrack): Level | null {
  return higher(track.alert_level, deskLevels().get(track.key));
}

/** Main-thread time spent on the picture (read by bench/console.py). */
export const perf = { draws: 0, drawMs: 0, messages: 0, receiveMs: 0 };

export class PictureLayer {
  private scheduled = false;
  private lastDraw = 0;
  private drawn = 0;

  constructor(private readonly map: ConsoleMap) {
    store.on("picture", () => this.schedule());
    store.on("alerts", () => this.schedule());
    store.on("lang", () => this.schedule());
  }

  get count(): number {
    return this.drawn;
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, 500 - (performance.now() - this.lastDraw));
    setTimeout(() => requestAnimationFrame(() => this.draw()), wait);
  }

  private draw(): void {
    this.scheduled = false;
    this.lastDraw = performance.now();
    const started = this.lastDraw;
    const targets: GeoJSON.Feature[] = [];
    const vectors: GeoJSON.Feature[] = [];
    const trails: GeoJSON.Feature[] = [];
    const levels = deskLevels();
    const declutter = store.picture.size > DECLUTTER_ABOVE;
    for (const track of store.picture.values()) {
      if (store.aliasOf.has(track.key)) continue; // drawn as the target it is fused into
      const level = higher(track.alert_level, levels.get(track.key));
      const course = track.cog_deg ?? track.heading_deg ?? 0;
      const props: Record<string, string | number | boolean> = {
        key: track.key,
        icon: `sym|${shapeOf(track)}|${level ?? "none"}`,
        course,
        rank: RANK[level ?? "none"],
        level: level ?? "none",
      };
      if (declutter && !level) {
        props.dense = true;
        props.source = shapeOf(track) === "fused" ? "ais" : shapeOf(track);
      }
      const name = displayName(track, track.key);
      if (level) props.label = `lbl|${level}|${t(`level_${level}`)} · ${name}`;
      else if (track.name) props.name = `lbl|plain|${track.name.trim()}`;
      targets.push({ type: "Feature", properties: props, geometry: { type: "Point", coordinates: [track.lon, track.lat] } });
      if (props.dense) continue; // no vector or trail either
      if (track.sog_kn && track.sog_kn > 0.5 && track.cog_deg !== null) {
        const end = destination(track.lon, track.lat, track.cog_deg, track.sog_kn * 1852 * (VECTOR_MINUTES / 60));
        vectors.push({ type: "Feature", properties: { level: props.level }, geometry: { type: "LineString", coordinates: [[track.lon, track.lat], end] } });
      }
      const points = store.trails.get(track.key)?.points ?? [];
      if (points.length > 1) trails.push({ type: "Feature", properties: { level: props.level }, geometry: { type: "LineString", coordinates: points } });
    }
    targets.sort((a, b) => Number(a.properties?.rank) - Number(b.properties?.rank));
    this.drawn = targets.length;
    this.map.set("targets", { type: "FeatureCollection", features: targets });
    this.map.set("vectors", { type: "FeatureCollection", features: vectors });
    this.map.set("trails", { type: "FeatureCollection", features: trails });
    document.body.dataset.targets = String(targets.length);
    perf.draws += 1;
    perf.drawMs += performance.now() - started;
    store.emit("live");
  }
}

