// The live worker: owns the one WebSocket, parses every message off the main thread, keeps the
// picture and its trails, and hands the main thread only what it draws. Alerts go first: each
// is posted the moment it is parsed; the picture's layer data at most every 0.5 s (1 s above
// the declutter threshold), and only when something changed. Reconnects with backoff; a policy
// close (1008: key revoked, user disabled) is reported and not retried.

import { DECLUTTER_ABOVE } from "../map/symbology";
import type { Alert, PictureMessage, PictureTrack } from "../types";
import { PictureState } from "./picture-state";
import type { Bbox, FromWorker, Layers, ToWorker } from "./protocol";

const state = new PictureState();
const watched = new Set<string>();
const perf = { messages: 0, receiveMs: 0, buildMs: 0, builds: 0 };
let key: string | null = null;
let socket: WebSocket | null = null;
let viewport: Bbox | null = null;
let retry = 500;
let stopped = true;
let dirty = false;
let timer = 0;
let lastBuild = 0;
let count = 0;

function post(message: FromWorker): void {
  self.postMessage(message);
}

function open(): void {
  if (!key || stopped) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live?token=${encodeURIComponent(key)}`);
  socket = ws;
  ws.onopen = () => {
    retry = 500;
    post({ type: "open" });
    sendViewport();
  };
  ws.onmessage = (event: MessageEvent<string>) => receive(event.data);
  ws.onclose = (event: CloseEvent) => {
    if (socket !== ws) return;
    socket = null;
    post({ type: "closed", revoked: event.code === 1008 });
    if (event.code === 1008 || stopped) return;
    setTimeout(open, retry);
    retry = Math.min(retry * 2, 10_000);
  };
}

function sendViewport(): void {
  if (viewport && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "viewport", bbox: viewport }));
}

function receive(text: string): void {
  const started = performance.now();
  let message: { type?: string };
  try {
    message = JSON.parse(text) as { type?: string };
  } catch {
    return;
  }
  if (message.type === "alert") {
    post({ type: "alert", alert: message as unknown as Alert });
  } else if (message.type === "picture") {
    const picture = message as PictureMessage;
    state.apply(picture.tracks ?? [], picture.removed ?? []);
    perf.messages += 1;
    perf.receiveMs += performance.now() - started;
    changed();
  }
}

/** Coalesces changes: one build per interval, whatever arrived meanwhile. */
function changed(): void {
  dirty = true;
  if (timer) return;
  const interval = state.tracks.size > DECLUTTER_ABOVE ? 1000 : 500;
  timer = setTimeout(build, Math.max(0, interval - (performance.now() - lastBuild)));
}

function build(): void {
  timer = 0;
  if (!dirty) return;
  dirty = false;
  lastBuild = performance.now();
  const built = state.build();
  count = built.count;
  perf.builds += 1;
  perf.buildMs += performance.now() - lastBuild;
  postLayers(built.layers);
}

function postLayers(layers: Partial<Layers>): void {
  post({ type: "layers", layers, count, tracks: state.shown(watched), aliases: [...state.aliasOf], jurisdictions: state.jurisdictions(), perf: { ...perf } });
}

async function reload(): Promise<void> {
  if (!key || !viewport) return;
  const bbox = viewport.map((v) => v.toFixed(5)).join(",");
  try {
    const response = await fetch(`/api/v1/picture?bbox=${encodeURIComponent(bbox)}`, { headers: { Authorization: `Bearer ${key}` } });
    if (!response.ok) return; // the live socket sends the picture in view as well
    const picture = (await response.json()) as { tracks: PictureTrack[] };
    state.apply(picture.tracks, []);
    changed();
  } catch {
    // as above
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      key = message.key;
      stopped = false;
      open();
      break;
    case "stop":
      stopped = true;
      socket?.close(1000);
      socket = null;
      break;
    case "viewport":
      viewport = message.bbox;
      sendViewport();
      break;
    case "reload":
      void reload();
      break;
    case "levels":
      state.levels = new Map(message.levels);
      changed();
      break;
    case "labels":
      state.labels = message.labels;
      changed();
      break;
    case "watch":
      watched.clear();
      for (const k of message.keys) watched.add(k);
      postLayers({}); // the card's track at once, not at the next build
      break;
  }
};
