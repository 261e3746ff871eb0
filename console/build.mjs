// Builds the console into dist/: one bundled script and stylesheet (no inline script, so the
// API's strict Content-Security-Policy holds), MapLibre's CSP worker as a file of its own, and
// the Natural Earth land layer from the world-atlas package. Nothing is fetched from a CDN.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const assets = join(dist, "assets");
rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  // The live worker (the WebSocket, parsing, the picture's layers) is a script of its own.
  entryPoints: { app: join(here, "src", "main.ts"), "live-worker": join(here, "src", "worker", "live-worker.ts") },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  outdir: assets,
  entryNames: "[name]-[hash]",
  loader: { ".css": "css" },
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => p.split("/").pop());
const script = outputs.find((name) => name.startsWith("app-") && name.endsWith(".js"));
const liveWorker = outputs.find((name) => name.startsWith("live-worker-") && name.endsWith(".js"));
const style = outputs.find((name) => name.endsWith(".css"));

const node = join(here, "node_modules");
// Every asset name carries its content hash: the API serves /assets/* as immutable.
const hashed = (stem, data, ext) => `${stem}-${createHash("sha256").update(data).digest("hex").slice(0, 8)}.${ext}`;
const worker = readFileSync(join(node, "maplibre-gl", "dist", "maplibre-gl-csp-worker.js"));
const workerName = hashed("maplibre-worker", worker, "js");
writeFileSync(join(assets, workerName), worker);
// 1:10m land: the detail a coastal watch needs (the 1:50m coast misses the skerries).
const land = readFileSync(join(node, "world-atlas", "land-10m.json"));
const landName = hashed("land-10m", land, "json");
writeFileSync(join(assets, landName), land);

const template = readFileSync(join(here, "index.html"), "utf8");
const html = template
  .replace("%SCRIPT%", `/assets/${script}`)
  .replace("%STYLE%", `/assets/${style}`)
  .replace("%LAND%", `/assets/${landName}`)
  .replace("%WORKER%", `/assets/${workerName}`)
  .replace("%LIVE_WORKER%", `/assets/${liveWorker}`);
writeFileSync(join(dist, "index.html"), html);
console.log(`console built: dist/index.html, assets/${script}, ${liveWorker}, ${style}, ${workerName}, ${landName}`);
