// The map: MapLibre GL JS on WebGL. The shipped basemap is Natural Earth land (world-atlas,
// turned from TopoJSON into GeoJSON with topojson-client) over a sea-coloured background; a
// site's own style URL (a tile server) replaces it. The site's layers (zones, jurisdictions,
// sensors, units, the live picture) are GeoJSON sources drawn on top of either.

import * as maplibregl from "maplibre-gl/dist/maplibre-gl-csp.js";
import type { GeoJSONSource, LayerSpecification, Map as MlMap, StyleSpecification } from "maplibre-gl";
import { feature } from "topojson-client";
import type { Topology } from "topojson-specification";
import { LEVEL_COLOURS, PIXEL_RATIO, SHAPES, label, sensorSymbol, symbol, unitSymbol } from "./icons";
import { LEVELS } from "../types";

export { ZONE_COLOURS };

export const UNIT_COLOURS: Record<string, string> = {
  available: "#34c759",
  en_route: "#ff9500",
  on_scene: "#ff3b30",
  returning: "#5ac8fa",
  out_of_service: "#8e8e93",
};

const ZONE_COLOURS: Record<string, string> = {
  restricted: "#ff453a",
  port: "#a2aab0",
  anchorage: "#bf5af2",
  landing: "#ff9f0a",
  coastline: "#ffd60a",
  coverage: "#64d2ff",
};

const SEA = "#0f2b3d";
const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

/** Every site source the console draws, bottom to top. */
const SOURCES = [
  "jurisdictions",
  "zones",
  "fov",
  "history-trails",
  "highlight",
  "trails",
  "vectors",
  "sensors",
  "units",
  "dots",
  "targets",
  "history-targets",
  "history-events",
] as const;
export type SourceId = (typeof SOURCES)[number];

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: "sea", type: "background", paint: { "background-color": SEA } }],
  };
}

function siteLayers(): LayerSpecification[] {
  const zoneColour = ["match", ["get", "kind"], ...Object.entries(ZONE_COLOURS).flat(), "#cccccc"] as unknown as string;
  const levelColour = ["match", ["get", "level"], ...LEVELS.flatMap((l) => [l, LEVEL_COLOURS[l]]), "#9fb3c1"] as unknown as string;
  return [
    {
      id: "zones-fill",
      type: "fill",
      source: "zones",
      filter: ["!=", ["get", "kind"], "coverage"],
      paint: { "fill-color": zoneColour, "fill-opacity": 0.13 },
    },
    {
      id: "zones-line",
      type: "line",
      source: "zones",
      paint: {
        "line-color": zoneColour,
        "line-width": ["match", ["get", "kind"], "restricted", 2, 1.2],
        "line-dasharray": [3, 2],
      },
    },
    {
      id: "jurisdictions-line",
      type: "line",
      source: "jurisdictions",
      filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": "#e5e5ea", "line-opacity": 0.55, "line-width": ["match", ["get", "level"], "town", 1, 1.8], "line-dasharray": [1, 2] },
    },
    {
      id: "jurisdictions-label",
      type: "symbol",
      source: "jurisdictions",
      filter: ["==", ["geometry-type"], "Point"],
      layout: { "icon-image": ["get", "label"], "icon-allow-overlap": false, "icon-anchor": "top" },
      minzoom: 8,
    },
    { id: "fov-fill", type: "fill", source: "fov", paint: { "fill-color": ["case", ["get", "online"], "#64d2ff", "#8e8e93"], "fill-opacity": 0.12 } },
    { id: "fov-line", type: "line", source: "fov", paint: { "line-color": ["case", ["get", "online"], "#64d2ff", "#8e8e93"], "line-width": 1 } },
    { id: "history-trails", type: "line", source: "history-trails", paint: { "line-color": "#9ad0ff", "line-width": 1.5, "line-opacity": 0.8 } },
    { id: "highlight", type: "line", source: "highlight", paint: { "line-color": "#ffffff", "line-width": 3, "line-opacity": 0.9 } },
    { id: "trails", type: "line", source: "trails", paint: { "line-color": levelColour, "line-width": 1.2, "line-opacity": 0.5, "line-dasharray": [1, 2] } },
    { id: "vectors", type: "line", source: "vectors", paint: { "line-color": levelColour, "line-width": 1.4 } },
    {
      id: "sensors",
      type: "symbol",
      source: "sensors",
      layout: { "icon-image": ["get", "icon"], "icon-allow-overlap": true },
    },
    {
      id: "sensors-label",
      type: "symbol",
      source: "sensors",
      filter: ["has", "label"],
      layout: { "icon-image": ["get", "label"], "icon-offset": [0, 17], "icon-allow-overlap": true },
    },
    {
      id: "units",
      type: "symbol",
      source: "units",
      layout: { "icon-image": ["get", "icon"], "icon-allow-overlap": true, "icon-ignore-placement": true },
    },
    {
      id: "units-label",
      type: "symbol",
      source: "units",
      layout: { "icon-image": ["get", "label"], "icon-anchor": "left", "icon-offset": [12, 0], "icon-allow-overlap": true },
    },
    {
      // Dense picture (over 2,000 targets in view): targets without an alert as dots, which
      // MapLibre draws without symbol placement; their source still tells by the dot's form.
      // A source of their own: the symbol layers then go through the few alerted targets only.
      id: "targets-dots",
      type: "circle",
      source: "dots",
      paint: {
        "circle-radius": 3,
        "circle-color": ["match", ["get", "source"], "radar", "rgba(0,0,0,0)", "camera", "#64d2ff", "#e4ecf1"],
        "circle-stroke-color": ["match", ["get", "source"], "camera", "#0b1a24", "#e4ecf1"],
        "circle-stroke-width": ["match", ["get", "source"], "radar", 1.5, 0.5],
      },
    },
    {
      id: "targets",
      type: "symbol",
      source: "targets",
      layout: {
        "icon-image": ["get", "icon"],
        "icon-rotate": ["get", "course"],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
        "symbol-sort-key": ["get", "rank"],
      },
    },
    {
      id: "targets-label",
      type: "symbol",
      source: "targets",
      filter: ["has", "label"],
      layout: { "icon-image": ["get", "label"], "icon-anchor": "left", "icon-offset": [12, 0], "icon-allow-overlap": true, "symbol-sort-key": ["get", "rank"] },
    },
    {
      id: "targets-name",
      type: "symbol",
      source: "targets",
      minzoom: 12.5,
      filter: ["all", ["!", ["has", "label"]], ["has", "name"]],
      layout: { "icon-image": ["get", "name"], "icon-anchor": "left", "icon-offset": [12, 0] },
    },
    {
      id: "history-targets",
      type: "symbol",
      source: "history-targets",
      layout: { "icon-image": ["get", "icon"], "icon-rotate": ["get", "course"], "icon-rotation-alignment": "map", "icon-allow-overlap": true },
    },
    {
      id: "history-events",
      type: "circle",
      source: "history-events",
      paint: { "circle-radius": 7, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#ff9f0a", "circle-stroke-width": 2 },
    },
  ];
}

/** Images the map asks for by name: symbols `sym|shape|level`, unit and sensor marks, and
 * labels `lbl|background|text`, drawn on demand. */
function provideImage(map: MlMap, id: string): void {
  const [kind, a, ...rest] = id.split("|");
  let image: ImageData | null = null;
  if (kind === "sym") image = symbol(a as (typeof SHAPES)[number], LEVEL_COLOURS[(rest[0] ?? "none") as keyof typeof LEVEL_COLOURS] ?? LEVEL_COLOURS.none);
  else if (kind === "unit") image = unitSymbol(UNIT_COLOURS[a] ?? "#8e8e93");
  else if (kind === "sensor") image = sensorSymbol(a, rest[0] === "on");
  else if (kind === "lbl") {
    const background = a === "plain" ? null : a === "offline" ? "#8e8e93" : a === "unit" ? "#d1d1d6" : (LEVEL_COLOURS[a as keyof typeof LEVEL_COLOURS] ?? null);
    image = label(rest.join("|"), background);
  }
  if (image && !map.hasImage(id)) map.addImage(id, image, { pixelRatio: PIXEL_RATIO });
}

export interface ConsoleMap {
  map: MlMap;
  ready: Promise<void>;
  set(source: SourceId, data: GeoJSON.FeatureCollection): void;
  showLive(visible: boolean): void;
  bbox(): [number, number, number, number];
}

export function createMap(container: HTMLElement, center: [number, number], zoom: number, styleUrl: string | null): ConsoleMap {
  maplibregl.setWorkerUrl(meta("shorewatch-worker"));
  const map = new maplibregl.Map({
    container,
    style: styleUrl ?? baseStyle(),
    center,
    zoom,
    attributionControl: { compact: true, customAttribution: styleUrl ? undefined : "Natural Earth" },
    fadeDuration: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
  map.on("styleimagemissing", (e: { id: string }) => provideImage(map, e.id));
  const pending = new Map<SourceId, GeoJSON.FeatureCollection>();
  let loaded = false;

  const ready = new Promise<void>((resolve) => {
    map.on("load", () => {
      // Tiled up to zoom 12 and over-zoomed beyond (about a metre of precision): less work for
      // the worker each time the 10,000-target picture changes.
      for (const id of SOURCES) map.addSource(id, { type: "geojson", data: pending.get(id) ?? EMPTY, tolerance: 0.2, maxzoom: 12, buffer: 16 });
      for (const layer of siteLayers()) map.addLayer(layer);
      loaded = true;
      resolve();
      if (!styleUrl) void addLand(map);
    });
  });

  return {
    map,
    ready,
    set(source, data) {
      if (!loaded) {
        pending.set(source, data);
        return;
      }
      (map.getSource(source) as GeoJSONSource | undefined)?.setData(data);
    },
    showLive(visible) {
      void ready.then(() => {
        for (const id of ["targets", "targets-dots", "targets-label", "targets-name", "trails", "vectors"]) {
          map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
        }
      });
    },
    bbox() {
      const b = map.getBounds();
      const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
      return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)];
    },
  };
}

/** The shipped land layer, under the site's layers. */
async function addLand(map: MlMap): Promise<void> {
  const response = await fetch(meta("shorewatch-land"));
  const topology = (await response.json()) as Topology;
  const land = feature(topology, topology.objects.land) as unknown as GeoJSON.FeatureCollection | GeoJSON.Feature;
  const data: GeoJSON.FeatureCollection = land.type === "FeatureCollection" ? land : { type: "FeatureCollection", features: [land] };
  map.addSource("land", { type: "geojson", data, tolerance: 0.1 });
  const below = map.getLayer("zones-fill") ? "zones-fill" : undefined;
  map.addLayer({ id: "land", type: "fill", source: "land", paint: { "fill-color": "#2f3d36" } }, below);
  map.addLayer({ id: "coast", type: "line", source: "land", paint: { "line-color": "#7f9c8c", "line-width": 0.8 } }, below);
  document.body.dataset.land = String(data.features.length);
}
