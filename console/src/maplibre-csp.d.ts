// MapLibre's CSP build (its worker is a file of ours, not a blob) has the main package's types.
declare module "maplibre-gl/dist/maplibre-gl-csp.js" {
  export * from "maplibre-gl";
}
