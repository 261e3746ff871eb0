// Patrol units: a list (state, current assignment, age of the last position) and their marks
// on the map, read every few seconds (unit changes do not travel on the live socket).

import { get } from "./api";
import { h, replace } from "./dom";
import { age, t, tv } from "./i18n";
import type { ConsoleMap } from "./map/map";
import { store } from "./store";
import type { Unit } from "./types";

export class UnitsView {
  readonly el = h("section", { class: "units", "data-testid": "units" });

  constructor(
    private readonly map: ConsoleMap,
    private readonly openAlert: (alertId: string) => void,
  ) {
    store.on("units", () => {
      this.render();
      this.draw();
    });
  }

  async refresh(): Promise<void> {
    try {
      store.units = await get<Unit[]>("/api/v1/units");
      store.emit("units");
    } catch {
      // kept as they were; the next poll tries again
    }
  }

  draw(): void {
    this.map.set("units", {
      type: "FeatureCollection",
      features: store.units.map((u) => ({
        type: "Feature",
        properties: { id: u.id, icon: `unit|${u.state}`, label: `lbl|unit|${u.name} · ${tv("unit", u.state)}` },
        geometry: { type: "Point", coordinates: u.position ? [u.position.lon, u.position.lat] : [u.home_lon, u.home_lat] },
      })),
    });
  }

  render(): void {
    replace(
      this.el,
      h("h2", {}, t("units_title")),
      store.units.length === 0
        ? h("p", { class: "muted" }, t("units_none"))
        : h(
            "table",
            { class: "units-table" },
            h("thead", {}, h("tr", {}, h("th", {}, t("units_title")), h("th", {}, t("units_kind")), h("th", {}, t("units_state")), h("th", {}, t("units_assignment")), h("th", {}, t("units_fix_age")))),
            h(
              "tbody",
              {},
              store.units.map((u) => {
                const alert = u.current_alert ? store.alerts.get(u.current_alert) : undefined;
                return h(
                  "tr",
                  { "data-unit": u.id, "data-state": u.state },
                  h("td", {}, h("strong", {}, u.name), h("div", { class: "muted" }, `${u.id} · ${store.jurisdictionName(u.jurisdiction)}`)),
                  h("td", {}, `${tv("unit", u.kind)} · ${u.unit_type}`),
                  h("td", {}, h("span", { class: `unit-state state-${u.state}` }, tv("unit", u.state))),
                  h(
                    "td",
                    {},
                    u.current_alert
                      ? h("button", { type: "button", class: "link", onclick: () => u.current_alert && this.openAlert(u.current_alert) }, alert ? `${t(`level_${alert.level}`)} · ${tv("kind", alert.kind)}` : u.current_alert.slice(0, 8))
                      : t("unknown"),
                  ),
                  h("td", {}, u.position ? t("ago", { age: age(u.position.time) }) : t("unknown")),
                );
              }),
            ),
          ),
    );
  }
}
