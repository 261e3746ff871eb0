// The live picture as the worker holds it: every target in view, its trail of the last
// minutes, and the layer data built from them (symbols, or dots above the declutter threshold,
// course vectors, trails). Runs in the live worker: none of this work is on the main thread.

import { destination } from "../geo";
import { DECLUTTER_ABOVE, RANK, higher, shapeOf, trackName } from "../map/symbology";
import type { Level, PictureTrack } from "../types";
import type { Layers } from "./protocol";

const VECTOR_MINUTES = 3;
const TRAIL_MS = 5 * 60_000;
const TRAIL_POINTS = 40;
const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

interface Trail {
  points: [number, number][];
  times: number[];
}

export class PictureState {
  readonly tracks = new Map<string, PictureTrack>();
  readonly aliasOf = new Map<string, string>();
  private readonly trails = new Map<string, Trail>();
  levels = new Map<string, Level>();
  labels: Record<Level, string> = { red: "RED", orange: "ORANGE", yellow: "YELLOW", blue: "BLUE" };
  /** What was last handed over, so that unchanged (e.g. still empty) layers are not resent. */
  private sentEmpty = new Set<keyof Layers>();

  apply(tracks: PictureTrack[], removed: string[]): void {
    const now = Date.now();
    let fused = false;
    for (const key of removed) {
      fused ||= (this.tracks.get(key)?.associated.length ?? 0) > 0;
      this.tracks.delete(key);
      this.trails.delete(key);
    }
    for (const track of tracks) {
      const before = this.tracks.get(track.key);
      fused ||= track.associated.length > 0 || (before?.associated.length ?? 0) > 0;
      this.tracks.set(track.key, track);
      const trail = this.trails.get(track.key) ?? { points: [], times: [] };
      const last = trail.points[trail.points.length - 1];
      if (!last || last[0] !== track.lon || last[1] !== track.lat) {
        trail.points.push([track.lon, track.lat]);
        trail.times.push(Date.parse(track.last_seen) || now);
      }
      let drop = 0;
      while (trail.points.length - drop > TRAIL_POINTS || (trail.times.length - drop > 1 && trail.times[drop] < now - TRAIL_MS)) drop += 1;
      if (drop) {
        trail.points.splice(0, drop);
        trail.times.splice(0, drop);
      }
      this.trails.set(track.key, trail);
    }
    if (fused) {
      this.aliasOf.clear();
      for (const track of this.tracks.values()) for (const other of track.associated) this.aliasOf.set(other, track.key);
    }
  }

  /** The layers, leaving out those that are empty and were empty when last handed over. */
  build(): { layers: Partial<Layers>; count: number } {
    const targets: GeoJSON.Feature[] = [];
    const dots: GeoJSON.Feature[] = [];
    const vectors: GeoJSON.Feature[] = [];
    const trails: GeoJSON.Feature[] = [];
    const declutter = this.tracks.size > DECLUTTER_ABOVE;
    for (const track of this.tracks.values()) {
      if (this.aliasOf.has(track.key)) continue; // drawn as the target it is fused into
      const level = higher(track.alert_level, this.levels.get(track.key));
      const shape = shapeOf(track);
      const point: GeoJSON.Point = { type: "Point", coordinates: [track.lon, track.lat] };
      if (declutter && !level) {
        dots.push({ type: "Feature", properties: { key: track.key, source: shape === "fused" ? "ais" : shape }, geometry: point });
        continue; // no vector or trail either
      }
      const props: Record<string, string | number> = {
        key: track.key,
        icon: `sym|${shape}|${level ?? "none"}`,
        course: track.cog_deg ?? track.heading_deg ?? 0,
        rank: RANK[level ?? "none"],
        level: level ?? "none",
      };
      if (level) props.label = `lbl|${level}|${this.labels[level]} · ${trackName(track)}`;
      else if (track.name) props.name = `lbl|plain|${track.name.trim()}`;
      targets.push({ type: "Feature", properties: props, geometry: point });
      if (track.sog_kn && track.sog_kn > 0.5 && track.cog_deg !== null) {
        const end = destination(track.lon, track.lat, track.cog_deg, track.sog_kn * 1852 * (VECTOR_MINUTES / 60));
        vectors.push({ type: "Feature", properties: { level: props.level }, geometry: { type: "LineString", coordinates: [[track.lon, track.lat], end] } });
      }
      const points = this.trails.get(track.key)?.points ?? [];
      if (points.length > 1) trails.push({ type: "Feature", properties: { level: props.level }, geometry: { type: "LineString", coordinates: points } });
    }
    targets.sort((a, b) => Number(a.properties?.rank) - Number(b.properties?.rank));
    const all: Layers = {
      targets: { type: "FeatureCollection", features: targets },
      dots: { type: "FeatureCollection", features: dots },
      vectors: { type: "FeatureCollection", features: vectors },
      trails: { type: "FeatureCollection", features: trails },
    };
    const layers: Partial<Layers> = {};
    for (const id of ["targets", "dots", "vectors", "trails"] as const) {
      const empty = all[id].features.length === 0;
      if (empty && this.sentEmpty.has(id)) continue;
      layers[id] = empty ? EMPTY : all[id];
      if (empty) this.sentEmpty.add(id);
      else this.sentEmpty.delete(id);
    }
    return { layers, count: targets.length + dots.length };
  }

  /** Targets the main thread shows details of: alerted ones, and those it watches. */
  shown(watched: Set<string>): PictureTrack[] {
    const out: PictureTrack[] = [];
    for (const track of this.tracks.values()) {
      if (track.alert_level !== null || this.levels.has(track.key) || watched.has(track.key)) out.push(track);
    }
    return out;
  }

  jurisdictions(): (string | null)[] {
    const found = new Set<string | null>();
    for (const track of this.tracks.values()) found.add(track.jurisdiction);
    return [...found];
  }
}
