// The live feed on the main thread: a thin end of the live worker (`worker/live-worker.ts`),
// which owns the WebSocket, parses it and builds the picture's layers. Alerts arrive here
// first and on their own; the picture arrives as ready layer data (`map/picture.ts`).

import { storedKey } from "./api";
import { store } from "./store";
import type { Alert } from "./types";
import type { Bbox, FromWorker, Layers, ToWorker } from "./worker/protocol";

export interface LiveHandlers {
  onRedAlert(alert: Alert): void;
  onAlert(alert: Alert): void;
  onRevoked(): void;
  onReconnected(): void;
  onLayers(layers: Partial<Layers>, count: number): void;
}

/** Worker-side picture costs (read by bench/console.py through `shorewatch.perf()`). */
export const workerPerf = { messages: 0, receiveMs: 0, buildMs: 0, builds: 0 };

export class Live {
  private readonly worker: Worker;
  private everOpened = false;

  constructor(private readonly handlers: LiveHandlers) {
    const url = document.querySelector<HTMLMetaElement>('meta[name="shorewatch-live-worker"]')?.content ?? "";
    this.worker = new Worker(url, { type: "module", name: "live" });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  start(): void {
    const key = storedKey();
    if (key) this.send({ type: "start", key });
  }

  stop(): void {
    this.send({ type: "stop" });
  }

  setViewport(bbox: Bbox): void {
    this.send({ type: "viewport", bbox });
  }

  /** The picture in view from `GET /api/v1/picture` (the socket sends changes after). */
  reload(): void {
    this.send({ type: "reload" });
  }

  post(message: ToWorker): void {
    this.send(message);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case "alert":
        if (store.upsertAlert(message.alert)) this.handlers.onRedAlert(message.alert);
        this.handlers.onAlert(message.alert);
        break;
      case "open":
        store.connected = true;
        store.emit("live");
        if (this.everOpened) this.handlers.onReconnected();
        this.everOpened = true;
        break;
      case "closed":
        store.connected = false;
        store.emit("live");
        if (message.revoked) this.handlers.onRevoked();
        break;
      case "layers":
        Object.assign(workerPerf, message.perf);
        store.setShown(message.tracks, message.aliases, message.jurisdictions);
        this.handlers.onLayers(message.layers, message.count);
        break;
    }
  }
}
