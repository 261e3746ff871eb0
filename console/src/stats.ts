// Performance by area: per jurisdiction, alerts by level and by outcome, and the median time
// to acknowledge, dispatch and resolve, as plain SVG bar charts (no chart library, no CDN).

import { ApiError, get, query } from "./api";
import { h, replace, svg } from "./dom";
import { t, tv } from "./i18n";
import { LEVEL_COLOURS } from "./map/icons";
import { store } from "./store";
import type { JurisdictionStats, Stats } from "./types";
import { LEVELS, OUTCOMES } from "./types";

const OUTCOME_COLOURS = { confirmed: "#ff6961", false_alarm: "#8e8e93", benign: "#64d2ff" };
const TIME_COLOURS = ["#5ac8fa", "#ff9f0a", "#30d158"];

function areaName(j: JurisdictionStats): string {
  return j.jurisdiction === null ? t("stats_unassigned") : store.jurisdictionName(j.jurisdiction);
}

/** Horizontal stacked bars, one per area; segments carry their number as text. */
function stacked(rows: JurisdictionStats[], parts: { key: string; label: string; colour: string; value: (j: JurisdictionStats) => number }[]): SVGElement {
  const width = 560;
  const labelW = 190;
  const barH = 22;
  const height = rows.length * (barH + 10) + 34;
  const max = Math.max(1, ...rows.map((j) => parts.reduce((s, p) => s + p.value(j), 0)));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "chart" });
  rows.forEach((j, i) => {
    const y = i * (barH + 10);
    const name = areaName(j);
    const short = name.length > 24 ? `${name.slice(0, 23)}…` : name;
    chart.appendChild(svg("text", { x: 0, y: y + 15, class: "chart-label" }, short, svg("title", {}, name)));
    let x = labelW;
    for (const part of parts) {
      const value = part.value(j);
      if (!value) continue;
      const w = ((width - labelW - 10) * value) / max;
      chart.appendChild(svg("rect", { x, y, width: Math.max(1, w), height: barH, fill: part.colour }, svg("title", {}, `${part.label}: ${value}`)));
      if (w > 18) chart.appendChild(svg("text", { x: x + w / 2, y: y + 15, class: "chart-value", "text-anchor": "middle" }, String(value)));
      x += w;
    }
  });
  const legendY = rows.length * (barH + 10) + 16;
  let lx = labelW;
  for (const part of parts) {
    chart.appendChild(svg("rect", { x: lx, y: legendY - 10, width: 12, height: 12, fill: part.colour }));
    chart.appendChild(svg("text", { x: lx + 16, y: legendY, class: "chart-legend" }, part.label));
    lx += 24 + part.label.length * 8;
  }
  return chart;
}

export class StatsView {
  readonly el = h("section", { class: "stats", "data-testid": "stats" });
  private days = 30;

  async load(): Promise<void> {
    replace(this.el, h("p", {}, t("loading")));
    const start = new Date(Date.now() - this.days * 86400_000).toISOString();
    let stats: Stats;
    try {
      stats = await get<Stats>(`/api/v1/stats${query({ start })}`);
    } catch (error) {
      replace(this.el, h("p", { class: "error" }, error instanceof ApiError ? error.detail : t("error_network")));
      return;
    }
    const rows = stats.jurisdictions;
    const picker = h("select", { "data-testid": "stats-days" }, [1, 7, 30, 90, 365].map((d) => h("option", { value: d, selected: d === this.days }, t("stats_window", { days: d }))));
    picker.addEventListener("change", () => {
      this.days = Number(picker.value);
      void this.load();
    });
    const minutes = (s: number | null) => (s === null ? 0 : Math.round((s / 60) * 10) / 10);
    replace(
      this.el,
      h("header", { class: "stats-head" }, h("h2", {}, t("stats_title")), picker),
      rows.length === 0
        ? h("p", { class: "muted" }, t("stats_none"))
        : [
            h("h3", {}, t("stats_by_level")),
            stacked(rows, LEVELS.map((l) => ({ key: l, label: t(`level_${l}`), colour: LEVEL_COLOURS[l], value: (j: JurisdictionStats) => j.by_level[l] ?? 0 }))),
            h("h3", {}, t("stats_by_outcome")),
            stacked(rows, OUTCOMES.map((o) => ({ key: o, label: tv("outcome", o), colour: OUTCOME_COLOURS[o], value: (j: JurisdictionStats) => j.by_outcome[o] ?? 0 }))),
            h("h3", {}, t("stats_times")),
            h(
              "table",
              { class: "stats-table" },
              h("thead", {}, h("tr", {}, h("th", {}, t("jurisdiction")), h("th", {}, t("stats_ack")), h("th", {}, t("stats_dispatch")), h("th", {}, t("stats_resolve")))),
              h(
                "tbody",
                {},
                rows.map((j) =>
                  h(
                    "tr",
                    { "data-jurisdiction": j.jurisdiction ?? "" },
                    h("td", {}, areaName(j)),
                    [j.time_to_acknowledge, j.time_to_dispatch, j.time_to_resolve].map((d, i) =>
                      h(
                        "td",
                        {},
                        (() => {
                          const value = minutes(d.median_s);
                          const max = Math.max(1, ...rows.map((r) => minutes(r.time_to_resolve.median_s)), ...rows.map((r) => minutes(r.time_to_acknowledge.median_s)));
                          const bar = svg("svg", { viewBox: "0 0 100 10", width: 100, height: 10, class: "mini" }, svg("rect", { x: 0, y: 0, height: 10, width: Math.max(1, (100 * value) / max), fill: TIME_COLOURS[i] }));
                          return h("span", {}, bar, ` ${d.median_s === null ? t("unknown") : value} (n=${d.count})`);
                        })(),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ],
    );
  }
}
