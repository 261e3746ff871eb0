// Messages between the main thread and the live worker (`live-worker.ts`), which owns the
// WebSocket, parses everything it receives and builds the picture's layer data.

import type { Alert, Level, PictureTrack } from "../types";

export type Bbox = [number, number, number, number];

export type ToWorker =
  | { type: "start"; key: string }
  | { type: "stop" }
  | { type: "viewport"; bbox: Bbox }
  /** GET the picture in view again (at start and after a reconnection). */
  | { type: "reload" }
  /** The desk's highest open level per target, so a new alert colours its target at once. */
  | { type: "levels"; levels: [string, Level][] }
  /** Badge texts per level, in the console's language. */
  | { type: "labels"; labels: Record<Level, string> }
  /** Targets whose full track the main thread wants (an open card). */
  | { type: "watch"; keys: string[] };

export interface Layers {
  /** Symbols: every target, or only the alerted ones above the declutter threshold. */
  targets: GeoJSON.FeatureCollection;
  /** Dots: targets without an alert above the threshold. */
  dots: GeoJSON.FeatureCollection;
  vectors: GeoJSON.FeatureCollection;
  trails: GeoJSON.FeatureCollection;
}

export type FromWorker =
  | { type: "alert"; alert: Alert }
  | { type: "open" }
  | { type: "closed"; revoked: boolean }
  | {
      type: "layers";
      /** Only the layers that changed since the last message. */
      layers: Partial<Layers>;
      count: number;
      /** Tracks the main thread shows details of: alerted targets and watched ones. */
      tracks: PictureTrack[];
      /** Fused keys -> the target drawn for them. */
      aliases: [string, string][];
      jurisdictions: (string | null)[];
      perf: { messages: number; receiveMs: number; buildMs: number; builds: number };
    };
