// How a target is drawn, as pure functions of its track: shared by the live worker (which
// builds the layers) and the main thread (card, desk). Nothing here touches the DOM or the store.

import type { Level, PictureTrack } from "../types";

/** Above this many targets in view, targets without an alert are drawn as dots, without
 * vector or trail (declutter: at that density they are unreadable anyway, and cost the most). */
export const DECLUTTER_ABOVE = 2000;
export const RANK: Record<Level | "none", number> = { none: 0, blue: 1, yellow: 2, orange: 3, red: 4 };

export function shapeOf(track: PictureTrack): "ais" | "radar" | "camera" | "fused" {
  const ais = track.sources.includes("ais");
  if (ais && (track.sources.length > 1 || track.associated.length > 0)) return "fused";
  if (ais) return "ais";
  return track.sources.includes("radar") ? "radar" : "camera";
}

/** A track's name as shown: its AIS name, call sign or MMSI, else its key. */
export function trackName(track: PictureTrack): string {
  return track.name?.trim() || track.callsign?.trim() || (track.mmsi ? String(track.mmsi) : track.key);
}

export function higher(a: Level | null, b: Level | undefined): Level | null {
  if (b === undefined) return a;
  return a === null || RANK[b] > RANK[a] ? b : a;
}
