// The one WebSocket: alert changes always, picture changes for the viewport it is told.
// Reconnects with backoff; a policy close (1008: key revoked, user disabled) signs out.

import { storedKey } from "./api";
import { store } from "./store";
import type { Alert, PictureMessage } from "./types";
import { perf } from "./map/picture";

type Bbox = [number, number, number, number];

export interface LiveHandlers {
  onRedAlert(alert: Alert): void;
  onAlert(alert: Alert): void;
  onRevoked(): void;
  onReconnected(): void;
}

export class Live {
  private socket: WebSocket | null = null;
  private viewport: Bbox | null = null;
  private retry = 500;
  private stopped = false;
  private everOpened = false;

  constructor(private readonly handlers: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close(1000);
    this.socket = null;
  }

  setViewport(bbox: Bbox): void {
    this.viewport = bbox;
    this.sendViewport();
  }

  private sendViewport(): void {
    if (this.viewport && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "viewport", bbox: this.viewport }));
    }
  }

  private open(): void {
    const key = storedKey();
    if (!key || this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/live?token=${encodeURIComponent(key)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 500;
      store.connected = true;
      store.emit("live");
      this.sendViewport();
      if (this.everOpened) this.handlers.onReconnected();
      this.everOpened = true;
    };
    socket.onmessage = (message: MessageEvent<string>) => this.receive(message.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      store.connected = false;
      store.emit("live");
      if (event.code === 1008) {
        this.handlers.onRevoked();
        return;
      }
      if (!this.stopped) {
        setTimeout(() => this.open(), this.retry);
        this.retry = Math.min(this.retry * 2, 10_000);
      }
    };
  }

  private receive(text: string): void {
    const started = performance.now();
    let message: { type?: string };
    try {
      message = JSON.parse(text) as { type?: string };
    } catch {
      return;
    }
    if (message.type === "alert") {
      const alert = message as unknown as Alert;
      if (store.upsertAlert(alert)) this.handlers.onRedAlert(alert);
      this.handlers.onAlert(alert);
    } else if (message.type === "picture") {
      const picture = message as PictureMessage;
      store.applyPicture(picture.tracks ?? [], picture.removed ?? []);
      perf.messages += 1;
      perf.receiveMs += performance.now() - started;
    }
  }
}
