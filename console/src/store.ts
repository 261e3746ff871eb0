// What the console knows, in one place, and who wants to hear when it changes. Fed by the
// initial API reads and the one live WebSocket.

import type { Alert, ConsoleSettings, FeatureCollection, JurisdictionProps, Me, PictureTrack, Sensor, Unit, ZoneProps } from "./types";
import { OPEN_STATES } from "./types";

type Topic = "alerts" | "picture" | "units" | "sensors" | "live" | "lang";

class Store {
  me: Me | null = null;
  settings: ConsoleSettings = { basemap_style_url: null, center: [11.43, 58.25], zoom: 10.5 };
  alerts = new Map<string, Alert>();
  /** The targets the main thread shows details of (alerted ones, an open card's): the whole
   * picture, its trails and its layers are kept by the live worker (`worker/live-worker.ts`). */
  picture = new Map<string, PictureTrack>();
  /** The jurisdictions of every target in view. */
  pictureJurisdictions: (string | null)[] = [];
  /** A fused track's associated keys point at it: one target, drawn once. */
  aliasOf = new Map<string, string>();
  /** The same from the server's incidents (`/api/v1/incidents`), for targets out of view. */
  incidentAlias = new Map<string, string>();
  /** Names of targets the desk shows, from the incidents, for targets out of view. */
  names = new Map<string, string>();
  units: Unit[] = [];
  sensors: Sensor[] = [];
  zones: FeatureCollection<ZoneProps> = { type: "FeatureCollection", features: [] };
  jurisdictions: FeatureCollection<JurisdictionProps> = { type: "FeatureCollection", features: [] };
  connected = false;
  /** Alert ids already seen, so that only a red alert new to this console rings. */
  private announced = new Set<string>();
  private listeners = new Map<Topic, Set<() => void>>();

  on(topic: Topic, listener: () => void): () => void {
    const set = this.listeners.get(topic) ?? new Set();
    set.add(listener);
    this.listeners.set(topic, set);
    return () => set.delete(listener);
  }

  emit(topic: Topic): void {
    for (const listener of this.listeners.get(topic) ?? []) listener();
  }

  jurisdictionName(id: string | null): string {
    if (id === null) return "";
    return this.jurisdictions.features.find((f) => f.properties.id === id)?.properties.name ?? id;
  }

  loadAlerts(alerts: Alert[]): void {
    for (const alert of alerts) {
      this.alerts.set(alert.id, alert);
      this.announced.add(alert.id);
    }
    this.emit("alerts");
  }

  /** An alert change from the live feed; true when it is a red alert this console has not
   * shown before (or one that just turned red), which is announced by sound and flash. */
  upsertAlert(alert: Alert): boolean {
    const before = this.alerts.get(alert.id);
    const older = before && Date.parse(before.updated_at) > Date.parse(alert.updated_at);
    if (!older) this.alerts.set(alert.id, alert);
    const isNew = !this.announced.has(alert.id);
    this.announced.add(alert.id);
    const turnedRed = before !== undefined && before.level !== "red" && alert.level === "red";
    this.emit("alerts");
    return !older && !alert.silenced && alert.level === "red" && OPEN_STATES.includes(alert.state) && (isNew || turnedRed);
  }

  /** What the live worker hands over with each picture change. */
  setShown(tracks: PictureTrack[], aliases: [string, string][], jurisdictions: (string | null)[]): void {
    this.picture = new Map(tracks.map((track) => [track.key, track]));
    this.aliasOf = new Map(aliases);
    this.pictureJurisdictions = jurisdictions;
    this.emit("picture");
  }

  /** The target an alert or track key is drawn as (its fused primary when it has one). */
  canonical(key: string): string {
    return this.aliasOf.get(key) ?? this.incidentAlias.get(key) ?? key;
  }

  loadIncidents(rows: { target: string; targets: string[]; name: string | null }[]): void {
    this.incidentAlias.clear();
    for (const row of rows) {
      for (const key of row.targets) if (key !== row.target) this.incidentAlias.set(key, row.target);
      if (row.name) this.names.set(row.target, row.name);
    }
    this.emit("alerts");
  }
}

export const store = new Store();
