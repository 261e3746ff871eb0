// Target symbols and text labels drawn on a canvas and handed to MapLibre as images. Labels
// are images too: the map then needs no glyph server (nothing loads from the internet), any
// script the browser has a font for works (Chinese included), and outsider text such as an AIS
// name is only ever painted as pixels.

import type { Level } from "../types";

export const LEVEL_COLOURS: Record<Level | "none", string> = {
  red: "#ff3b30",
  orange: "#ff9500",
  yellow: "#ffd60a",
  blue: "#4fa8ff",
  none: "#e4ecf1",
};

export const SHAPES = ["ais", "radar", "camera", "fused"] as const;
export type Shape = (typeof SHAPES)[number];

const RATIO = 2;
const SIZE = 22;

function canvas(width: number, height: number): CanvasRenderingContext2D {
  const el = document.createElement("canvas");
  el.width = width * RATIO;
  el.height = height * RATIO;
  const ctx = el.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("no 2D canvas");
  ctx.scale(RATIO, RATIO);
  return ctx;
}

function pixels(ctx: CanvasRenderingContext2D): ImageData {
  return ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** One symbol: its shape tells the source, its fill the alert level (the label says it too). */
export function symbol(shape: Shape, colour: string): ImageData {
  const ctx = canvas(SIZE, SIZE);
  const c = SIZE / 2;
  ctx.lineWidth = 1.6;
  ctx.strokeStyle = "#0b1a24";
  ctx.fillStyle = colour;
  ctx.beginPath();
  if (shape === "ais" || shape === "fused") {
    // a hull pointing up (north): rotated by the map to the course
    ctx.moveTo(c, 2);
    ctx.lineTo(c + 6, c + 8);
    ctx.lineTo(c, c + 5);
    ctx.lineTo(c - 6, c + 8);
    ctx.closePath();
  } else if (shape === "radar") {
    ctx.moveTo(c, c - 7);
    ctx.lineTo(c + 7, c);
    ctx.lineTo(c, c + 7);
    ctx.lineTo(c - 7, c);
    ctx.closePath();
  } else {
    ctx.rect(c - 6, c - 6, 12, 12);
  }
  ctx.fill();
  ctx.stroke();
  if (shape === "fused") {
    ctx.beginPath();
    ctx.arc(c, c + 1, 9.5, 0, Math.PI * 2);
    ctx.lineWidth = 1.4;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  if (shape === "camera") {
    ctx.beginPath();
    ctx.arc(c, c, 3, 0, Math.PI * 2);
    ctx.fillStyle = "#0b1a24";
    ctx.fill();
  }
  return pixels(ctx);
}

export function unitSymbol(colour: string): ImageData {
  const ctx = canvas(SIZE, SIZE);
  const c = SIZE / 2;
  ctx.beginPath();
  ctx.arc(c, c, 8, 0, Math.PI * 2);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#ffffff";
  ctx.stroke();
  ctx.beginPath(); // a cross: a patrol unit, not a target
  ctx.moveTo(c - 4, c);
  ctx.lineTo(c + 4, c);
  ctx.moveTo(c, c - 4);
  ctx.lineTo(c, c + 4);
  ctx.strokeStyle = "#0b1a24";
  ctx.stroke();
  return pixels(ctx);
}

export function sensorSymbol(kind: string, online: boolean): ImageData {
  const ctx = canvas(SIZE, SIZE);
  const c = SIZE / 2;
  ctx.fillStyle = online ? "#9ad0ff" : "#8a8f94";
  ctx.strokeStyle = "#0b1a24";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  if (kind === "camera") {
    ctx.rect(c - 7, c - 5, 14, 10);
  } else {
    ctx.moveTo(c, c - 8);
    ctx.lineTo(c + 8, c + 6);
    ctx.lineTo(c - 8, c + 6);
    ctx.closePath();
  }
  ctx.fill();
  ctx.stroke();
  if (!online) {
    ctx.beginPath();
    ctx.moveTo(3, 3);
    ctx.lineTo(SIZE - 3, SIZE - 3);
    ctx.moveTo(SIZE - 3, 3);
    ctx.lineTo(3, SIZE - 3);
    ctx.strokeStyle = "#ff3b30";
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
  return pixels(ctx);
}

const FONT = '600 12px "Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", sans-serif';

/** A text label; with a background colour (an alert level) it is drawn as a badge. */
export function label(text: string, background: string | null): ImageData {
  const measure = canvas(1, 1);
  measure.font = FONT;
  const width = Math.ceil(measure.measureText(text).width) + 10;
  const ctx = canvas(width, 18);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  if (background) {
    ctx.fillStyle = background;
    ctx.beginPath();
    ctx.roundRect(0.5, 0.5, width - 1, 17, 4);
    ctx.fill();
    ctx.strokeStyle = "#0b1a24";
    ctx.lineWidth = 1;
    ctx.stroke();
    ctx.fillStyle = "#0b1a24";
    ctx.fillText(text, 5, 9.5);
  } else {
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(11,26,36,0.9)";
    ctx.strokeText(text, 5, 9.5);
    ctx.fillStyle = "#f2f6f8";
    ctx.fillText(text, 5, 9.5);
  }
  return pixels(ctx);
}

export const PIXEL_RATIO = RATIO;
