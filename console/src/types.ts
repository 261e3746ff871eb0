// The API's shapes, as the console reads them (api/routes/*.py and the console contract).

export type Level = "red" | "orange" | "yellow" | "blue";
export type AlertState = "new" | "acknowledged" | "dispatched" | "resolved" | "reviewed";
export type Outcome = "confirmed" | "false_alarm" | "benign";
export type Role = "operator" | "dispatcher" | "engineer" | "admin";
export type SourceKind = "ais" | "radar" | "camera";

export const LEVELS: Level[] = ["red", "orange", "yellow", "blue"];
export const OPEN_STATES: AlertState[] = ["new", "acknowledged", "dispatched"];
export const ALL_STATES: AlertState[] = [...OPEN_STATES, "resolved", "reviewed"];
export const OUTCOMES: Outcome[] = ["confirmed", "false_alarm", "benign"];
export const EVENT_KINDS = [
  "dark_target",
  "ais_gap",
  "encounter",
  "loitering",
  "zone_entry",
  "high_speed",
  "spoofing",
  "watchlist_sighting",
  "camera_target",
  "sensor_offline",
  "field_report",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface Me {
  name: string;
  role: Role;
  jurisdiction: string | null;
  area: string[] | null;
}

export interface ScoreFactor {
  name: string;
  points: number;
  detail: string;
}

export interface Alert {
  id: string;
  kind: EventKind;
  target: string;
  score: number;
  level: Level;
  factors: ScoreFactor[];
  state: AlertState;
  lat: number;
  lon: number;
  zone: string | null;
  jurisdiction: string | null;
  event_ids: string[];
  event_count: number;
  created_at: string;
  updated_at: string;
  acknowledged_by: string | null;
  outcome: Outcome | null;
  acknowledged_at: string | null;
  dispatched_at: string | null;
  resolved_at: string | null;
  reviewed_at: string | null;
  escalations: number;
  silenced: boolean;
}

export interface AppEvent {
  id: string;
  kind: EventKind;
  start: string;
  end: string | null;
  lat: number;
  lon: number;
  targets: string[];
  zone: string | null;
  facts: Record<string, string | number | boolean | null>;
  evidence: string[];
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  from_state: AlertState | null;
  to_state: AlertState;
  note: string;
}

export interface AlertDetail {
  alert: Alert;
  events: AppEvent[];
  history: AuditEntry[];
}

export interface PictureTrack {
  key: string;
  sources: SourceKind[];
  associated: string[];
  mmsi: number | null;
  name: string | null;
  callsign: string | null;
  ship_type: number | null;
  ship_type_text: string | null;
  length_m: number | null;
  lat: number;
  lon: number;
  sog_kn: number | null;
  cog_deg: number | null;
  heading_deg: number | null;
  last_seen: string;
  alert_level: Level | null;
  alert_ids: string[];
  watchlisted: boolean;
  jurisdiction: string | null;
}

export interface PictureMessage {
  type: "picture";
  tracks: PictureTrack[];
  removed: string[];
}

export interface Sensor {
  id: string;
  kind: SourceKind;
  lat: number | null;
  lon: number | null;
  heading_deg: number | null;
  fov_deg: number | null;
  range_m: number | null;
  online: boolean;
  since: string | null;
  /** A pan-tilt-zoom camera a dispatcher may point at a target. */
  ptz: boolean;
}

export interface ConsoleSettings {
  basemap_style_url: string | null;
  center: [number, number];
  zoom: number;
}

export interface UnitFix {
  time: string;
  lat: number;
  lon: number;
  sog_kn: number | null;
  cog_deg: number | null;
}

export interface Unit {
  id: string;
  name: string;
  kind: "sea" | "land";
  unit_type: string;
  home_lat: number;
  home_lon: number;
  jurisdiction: string | null;
  state: string;
  current_alert: string | null;
  updated_at: string;
  position: UnitFix | null;
}

export interface Suggestion {
  unit_id: string;
  name: string;
  kind: string;
  unit_type: string;
  state: string;
  distance_m: number;
  eta_s: number | null;
}

export interface DispatchOptions {
  suggestions: Suggestion[];
}

export interface Assignment {
  unit_id: string;
  assigned_by: string;
  assigned_at: string;
  eta_s: number | null;
  arrived_at: string | null;
  released_at: string | null;
}

export interface TrackPoint {
  time: string;
  lat: number;
  lon: number;
  sog_kn: number | null;
  cog_deg: number | null;
}

export interface Track {
  target: string;
  source: SourceKind;
  points: TrackPoint[];
}

export interface Tracks {
  tracks: Track[];
  points: number;
  truncated: boolean;
}

export interface Durations {
  count: number;
  median_s: number | null;
  p90_s?: number | null;
}

export interface JurisdictionStats {
  jurisdiction: string | null;
  alerts: number;
  by_level: Record<Level, number>;
  by_outcome: Record<Outcome, number>;
  time_to_acknowledge: Durations;
  time_to_dispatch: Durations;
  time_to_resolve: Durations;
}

export interface Stats {
  start: string;
  end: string;
  jurisdictions: JurisdictionStats[];
}

export interface Feature<P> {
  type: "Feature";
  id?: string | number;
  properties: P;
  geometry: GeoJSON.Geometry;
}

export interface FeatureCollection<P> {
  type: "FeatureCollection";
  features: Feature<P>[];
}

export interface ZoneProps {
  name: string;
  kind: string;
  points: number;
}

export interface JurisdictionProps {
  id: string;
  name: string;
  level: string;
  parent: string | null;
}
