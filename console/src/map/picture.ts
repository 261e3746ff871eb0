// The live picture on the map. The live worker builds the layer data (one symbol per target, a
// fused radar/camera echo of an AIS vessel drawn once as its vessel, its course vector scaled
// by speed, its trail of the last minutes, a level badge with text on every alerted target;
// dots above the declutter threshold: `worker/picture-state.ts`); here it is handed to
// MapLibre at most once per animation frame, and only the layers that changed.

import { t } from "../i18n";
import { store } from "../store";
import type { Level, PictureTrack } from "../types";
import { LEVELS, OPEN_STATES } from "../types";
import type { Layers } from "../worker/protocol";
import type { ConsoleMap } from "./map";
import { RANK, higher, trackName } from "./symbology";

export { DECLUTTER_ABOVE, shapeOf } from "./symbology";

export function displayName(track: PictureTrack | undefined, key: string): string {
  if (!track) return store.names.get(key)?.trim() || key;
  return trackName(track);
}

/** The highest open alert level per target the desk knows (fused echoes counted on their
 * target), so that a new alert colours its target before the next picture update. */
export function deskLevels(): Map<string, Level> {
  const levels = new Map<string, Level>();
  for (const alert of store.alerts.values()) {
    if (!OPEN_STATES.includes(alert.state)) continue;
    const key = store.canonical(alert.target);
    const known = levels.get(key);
    if (known === undefined || RANK[alert.level] > RANK[known]) levels.set(key, alert.level);
  }
  return levels;
}

/** The highest open level on a target: the picture's own, or a newer alert the desk has. */
export function levelOf(track: PictureTrack): Level | null {
  return higher(track.alert_level, deskLevels().get(track.key));
}

/** Main-thread time spent handing the picture to the map (read by bench/console.py). */
export const perf = { draws: 0, drawMs: 0 };

export class PictureLayer {
  private pending: Partial<Layers> = {};
  private frame = 0;
  private drawn = 0;
  /** Features last handed to each source (read by the browser tests). */
  readonly sizes: Record<keyof Layers, number> = { targets: 0, dots: 0, vectors: 0, trails: 0 };
  private last: Partial<Layers> = {};

  constructor(private readonly map: ConsoleMap) {}

  get count(): number {
    return this.drawn;
  }

  /** Layer data from the worker; what arrives before the next frame replaces what waited. */
  receive(layers: Partial<Layers>, count: number): void {
    Object.assign(this.pending, layers);
    this.drawn = count;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** How a target is drawn now (for the browser tests; scans the layers, so not per frame). */
  drawnAs(key: string): "symbol" | "dot" | null {
    const has = (id: "targets" | "dots") => this.last[id]?.features.some((f) => f.properties?.key === key) ?? false;
    return has("targets") ? "symbol" : has("dots") ? "dot" : null;
  }

  /** Badge texts for the worker, in the console's language. */
  static labels(): Record<Level, string> {
    return Object.fromEntries(LEVELS.map((level) => [level, t(`level_${level}`)])) as Record<Level, string>;
  }

  private draw(): void {
    this.frame = 0;
    const started = performance.now();
    const pending = this.pending;
    this.pending = {};
    for (const id of ["targets", "dots", "vectors", "trails"] as const) {
      const data = pending[id];
      if (!data) continue;
      this.map.set(id, data);
      this.sizes[id] = data.features.length;
      this.last[id] = data;
    }
    document.body.dataset.targets = String(this.drawn);
    perf.draws += 1;
    perf.drawMs += performance.now() - started;
    store.emit("live");
  }
}
