// The map's key: what each symbol, line and zone colour means, in the user's language.

import { h } from "./dom";
import { t, tv } from "./i18n";
import type { Key } from "./i18n";
import { LEVEL_COLOURS } from "./map/icons";
import { ZONE_COLOURS } from "./map/map";
import { LEVELS } from "./types";

const SYMBOLS: [string, Key][] = [
  ["▲", "legend_ais"],
  ["◆", "legend_radar"],
  ["■", "legend_camera"],
  ["Ⓐ", "legend_fused"],
  ["⊕", "legend_unit"],
  ["△", "legend_sensor"],
  ["●", "legend_dots"],
];

export function legend(): HTMLElement {
  const details = h(
    "details",
    { class: "legend", "data-testid": "legend" },
    h("summary", {}, t("legend")),
    h("ul", {}, SYMBOLS.map(([mark, key]) => h("li", {}, h("span", { class: "mark" }, mark), t(key)))),
    h("ul", {}, h("li", {}, h("span", { class: "mark" }, "—"), t("legend_vector")), h("li", {}, h("span", { class: "mark" }, "┈"), t("legend_trail"))),
    h(
      "ul",
      {},
      LEVELS.map((level) => h("li", {}, h("span", { class: "swatch", style: `background:${LEVEL_COLOURS[level]}` }), t(`level_${level}`))),
    ),
    h(
      "ul",
      {},
      Object.entries(ZONE_COLOURS).map(([kind, colour]) => h("li", {}, h("span", { class: "swatch zone", style: `border-color:${colour}` }), tv("zone", kind))),
    ),
  );
  return details;
}
