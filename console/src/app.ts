// The signed-in console: top bar, the map with its target card, and the side panel (alert
// desk and detail, units, history, statistics), wired to the API and the live socket.

import { get, query } from "./api";
import { h, replace } from "./dom";
import { Desk } from "./desk";
import type { Incident } from "./desk";
import { Detail } from "./detail";
import { TargetCard } from "./card";
import { HistoryView } from "./history";
import { LANGUAGES, lang, onLangChange, setLang, t, tv } from "./i18n";
import type { Lang } from "./i18n";
import { Live, workerPerf } from "./live";
import { createMap } from "./map/map";
import type { ConsoleMap } from "./map/map";
import { PictureLayer, deskLevels, perf } from "./map/picture";
import { bboxOf, sector } from "./geo";
import { beep } from "./sound";
import { StatsView } from "./stats";
import { store } from "./store";
import type { Alert, ConsoleSettings, FeatureCollection, JurisdictionProps, Sensor, Tracks, ZoneProps } from "./types";
import { UnitsView } from "./units";
import { legend } from "./legend";

type Tab = "picture" | "units" | "history" | "stats";

export class ConsoleApp {
  private readonly root: HTMLElement;
  private readonly topbar = h("header", { class: "topbar" });
  private readonly banner = h("div", { class: "banner hidden", role: "alert", "data-testid": "red-banner" });
  private readonly side = h("aside", { class: "side" });
  private readonly mapEl = h("div", { class: "map", "data-testid": "map" });
  private readonly status = h("span", { class: "live-status", "data-testid": "live-status" });
  private map!: ConsoleMap;
  private desk!: Desk;
  private detail!: Detail;
  private card!: TargetCard;
  private units!: UnitsView;
  private history!: HistoryView;
  private stats = new StatsView();
  private picture!: PictureLayer;
  private live!: Live;
  private tab: Tab = "picture";
  private legendSlot: HTMLElement | null = null;
  private showingDetail = false;

  constructor(root: HTMLElement, private readonly signOut: (notice?: string) => void) {
    this.root = root;
  }

  async start(): Promise<void> {
    const [settings, jurisdictions, zones, alerts] = await Promise.all([
      get<ConsoleSettings>("/api/v1/console/settings").catch(() => store.settings),
      get<FeatureCollection<JurisdictionProps>>("/api/v1/jurisdictions").catch(() => store.jurisdictions),
      get<FeatureCollection<ZoneProps>>("/api/v1/zones").catch(() => store.zones),
      get<Alert[]>(`/api/v1/alerts${query({ state: ["new", "acknowledged", "dispatched"], limit: 500 })}`).catch(() => [] as Alert[]),
    ]);
    store.settings = settings;
    store.jurisdictions = jurisdictions;
    store.zones = zones;
    store.loadAlerts(alerts);

    // MapLibre sizes its canvas from the container: lay the page out before creating it.
    const mapWrap = h("div", { class: "map-wrap" }, this.mapEl);
    replace(this.root, this.topbar, this.banner, h("main", { class: "workspace" }, mapWrap, this.side));
    this.map = createMap(this.mapEl, settings.center, settings.zoom, settings.basemap_style_url);
    new ResizeObserver(() => this.map.map.resize()).observe(this.mapEl);
    this.picture = new PictureLayer(this.map);
    this.card = new TargetCard(
      (tracks) => this.showTrack(tracks),
      (id) => this.openAlertById(id),
    );
    this.desk = new Desk((incident) => this.openIncident(incident));
    this.detail = new Detail({ showTrack: (tracks, at) => this.showTrack(tracks, at) }, () => this.closeDetail());
    this.units = new UnitsView(this.map, (id) => this.openAlertById(id));
    this.history = new HistoryView(this.map, () => this.setTab("picture"));
    this.live = new Live({
      onRedAlert: (alert) => this.announce(alert),
      onAlert: () => this.refreshIncidents(),
      onRevoked: () => this.signOut(t("signin_ended")),
      onReconnected: () => void this.reloadAlerts(),
      onLayers: (layers, count) => this.picture.receive(layers, count),
    });
    // The worker colours targets by the desk's alerts too, and writes badges in our language.
    const sendLevels = () => this.live.post({ type: "levels", levels: [...deskLevels()] });
    store.on("alerts", sendLevels);
    sendLevels();
    this.live.post({ type: "labels", labels: PictureLayer.labels() });

    mapWrap.appendChild(this.card.el);
    this.legendSlot = h("div", { class: "legend-slot" }, legend());
    mapWrap.appendChild(this.legendSlot);
    this.renderTopbar();
    this.renderSide();
    this.drawStatic();

    const map = this.map.map;
    for (const layer of ["targets", "targets-dots"]) {
      map.on("click", layer, (e) => {
        const key = e.features?.[0]?.properties?.key as string | undefined;
        if (key) this.openCard(key);
      });
    }
    map.on("click", "units", () => this.setTab("units"));
    for (const layer of ["targets", "targets-dots", "units"]) {
      map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
    }
    let moveTimer = 0;
    map.on("moveend", () => {
      clearTimeout(moveTimer);
      moveTimer = window.setTimeout(() => this.live.setViewport(this.map.bbox()), 150);
    });
    store.on("live", () => this.renderStatus());
    onLangChange(() => {
      store.emit("lang");
      this.live.post({ type: "labels", labels: PictureLayer.labels() });
      this.renderTopbar();
      this.renderSide();
      this.drawStatic();
      if (this.legendSlot) replace(this.legendSlot, legend());
      if (this.showingDetail) void this.detail.load();
    });

    await this.map.ready;
    // Read-only hooks for the browser tests and bench/console.py: where a position is on
    // screen, and how many targets are drawn. Nothing here reaches the API.
    (window as unknown as { shorewatch: object }).shorewatch = {
      project: (lon: number, lat: number) => {
        const p = this.map.map.project([lon, lat]);
        const box = this.mapEl.getBoundingClientRect();
        return { x: p.x + box.left, y: p.y + box.top };
      },
      drawn: () => this.picture.count,
      layers: () => ({ ...this.picture.sizes }),
      drawnAs: (key: string) => this.picture.drawnAs(key),
      perf: () => ({ ...perf, ...workerPerf }),
      jurisdictions: () => store.pictureJurisdictions,
      jumpTo: (lon: number, lat: number, zoom: number) => this.map.map.jumpTo({ center: [lon, lat], zoom }),
      /** Resolves once the map has drawn everything it has (tests wait for it before a screenshot). */
      idle: () =>
        new Promise<void>((resolve) => {
          this.map.map.once("idle", () => resolve());
          this.map.map.triggerRepaint();
        }),
      /** Redraw every frame (bench/console.py measures frame time under a full redraw). */
      repaint: (on: boolean) => (this.map.map.repaint = on),
    };
    document.body.dataset.mapReady = "1";
    this.live.setViewport(this.map.bbox());
    this.live.start();
    this.live.reload();
    this.refreshIncidents(0);
    void this.units.refresh();
    void this.refreshSensors();
    setInterval(() => void this.units.refresh(), 5_000);
    setInterval(() => void this.refreshSensors(), 15_000);
  }

  /** The card shows the target's full track, which the worker hands over while it is open. */
  private openCard(key: string): void {
    this.live.post({ type: "watch", keys: [store.canonical(key)] });
    this.card.open(key);
  }

  private incidentsTimer = 0;

  /** Names and fused keys of the desk's targets from the server's grouping (refetched a second
   * after alert changes, coalesced); the desk still groups live, client-side. */
  private refreshIncidents(delay = 1000): void {
    clearTimeout(this.incidentsTimer);
    this.incidentsTimer = window.setTimeout(() => {
      void get<{ target: string; targets: string[]; name: string | null }[]>("/api/v1/incidents")
        .then((rows) => store.loadIncidents(rows))
        .catch(() => undefined);
    }, delay);
  }

  private async reloadAlerts(): Promise<void> {
    const alerts = await get<Alert[]>(`/api/v1/alerts${query({ state: ["new", "acknowledged", "dispatched"], limit: 500 })}`).catch(() => null);
    if (alerts) store.loadAlerts(alerts);
    this.live.reload();
  }

  private async refreshSensors(): Promise<void> {
    let sensors: Sensor[];
    try {
      sensors = await get<Sensor[]>("/api/v1/sensors");
    } catch {
      return;
    }
    store.sensors = sensors;
    this.drawSensors();
  }

  private drawSensors(): void {
    const placed = store.sensors.filter((s) => s.lat !== null && s.lon !== null);
    this.map.set("sensors", {
      type: "FeatureCollection",
      features: placed.map((s) => ({
        type: "Feature",
        properties: { id: s.id, icon: `sensor|${s.kind}|${s.online ? "on" : "off"}`, ...(s.online ? {} : { label: `lbl|offline|${s.id} · ${t("sensor_offline")}` }) },
        geometry: { type: "Point", coordinates: [s.lon as number, s.lat as number] },
      })),
    });
    this.map.set("fov", {
      type: "FeatureCollection",
      features: placed
        .filter((s) => s.kind === "camera" && s.heading_deg !== null && s.fov_deg !== null)
        .map((s) => ({
          type: "Feature",
          properties: { id: s.id, online: s.online },
          geometry: { type: "Polygon", coordinates: [sector(s.lon as number, s.lat as number, s.heading_deg as number, s.fov_deg as number, s.range_m ?? 3000)] },
        })),
    });
    document.body.dataset.sensorsOffline = String(store.sensors.filter((s) => !s.online).length);
  }

  private drawStatic(): void {
    this.map.set("zones", store.zones as unknown as GeoJSON.FeatureCollection);
    this.map.set("jurisdictions", {
      type: "FeatureCollection",
      features: [
        ...(store.jurisdictions.features as GeoJSON.Feature[]),
        // one label per area, just inside its north edge (a polygon would be labelled per tile)
        ...store.jurisdictions.features.map((f) => {
          const [w, , e, n] = bboxOf(f.geometry);
          return { type: "Feature" as const, properties: { ...f.properties, label: `lbl|plain|${f.properties.name}` }, geometry: { type: "Point" as const, coordinates: [(w + e) / 2, n - 0.004] } };
        }),
      ],
    });
    if (store.sensors.length) this.drawSensors();
  }

  private showTrack(tracks: Tracks, fly?: [number, number]): void {
    this.map.set("highlight", {
      type: "FeatureCollection",
      features: tracks.tracks.map((tr) => ({ type: "Feature", properties: { target: tr.target }, geometry: { type: "LineString", coordinates: tr.points.map((p) => [p.lon, p.lat]) } })),
    });
    document.body.dataset.highlightPoints = String(tracks.points);
    if (fly) this.map.map.easeTo({ center: fly, duration: 500 });
  }

  private announce(alert: Alert): void {
    beep();
    this.desk.flash(alert.id);
    replace(this.banner, t("new_red", { target: alert.target }));
    this.banner.classList.remove("hidden");
    this.banner.classList.add("flash");
    setTimeout(() => {
      this.banner.classList.add("hidden");
      this.banner.classList.remove("flash");
    }, 10_000);
  }

  private openIncident(incident: Incident, alertId?: string): void {
    this.showingDetail = true;
    this.desk.select(incident.key);
    if (this.tab !== "picture") this.setTab("picture");
    this.renderSide();
    void this.detail.show(incident, alertId);
    const alert = incident.alerts.find((a) => a.id === alertId) ?? incident.top;
    this.map.map.easeTo({ center: [alert.lon, alert.lat], duration: 500 });
  }

  private openAlertById(id: string): void {
    const alert = store.alerts.get(id);
    if (!alert) return;
    const key = store.canonical(alert.target);
    const alerts = [...store.alerts.values()].filter((a) => store.canonical(a.target) === key && a.state === alert.state);
    this.openIncident({ key, alerts: alerts.length ? alerts : [alert], top: alert, since: alert.created_at }, id);
  }

  private closeDetail(): void {
    this.showingDetail = false;
    this.desk.select(null);
    this.map.set("highlight", { type: "FeatureCollection", features: [] });
    this.renderSide();
  }

  private setTab(tab: Tab): void {
    if (this.tab === "history" && tab !== "history") this.history.clear();
    this.tab = tab;
    if (tab !== "picture") this.showingDetail = false;
    this.renderTopbar();
    this.renderSide();
    if (tab === "stats") void this.stats.load();
    if (tab === "units") void this.units.refresh();
  }

  private renderSide(): void {
    this.side.className = `side tab-${this.tab}`;
    if (this.tab === "picture") {
      this.desk.render();
      replace(this.side, this.showingDetail ? this.detail.el : this.desk.el);
    } else if (this.tab === "units") {
      this.units.render();
      replace(this.side, this.units.el);
    } else if (this.tab === "history") {
      this.history.render();
      replace(this.side, this.history.el);
    } else {
      replace(this.side, this.stats.el);
    }
  }

  private renderStatus(): void {
    replace(
      this.status,
      h("span", { class: `dot ${store.connected ? "on" : "off"}` }),
      store.connected ? t("live_connected") : t("live_disconnected"),
      " · ",
      t("targets_in_view", { n: this.picture ? this.picture.count : 0 }),
    );
    document.body.dataset.live = store.connected ? "1" : "0";
  }

  private renderTopbar(): void {
    const me = store.me;
    const tabs: Tab[] = ["picture", "units", "history", "stats"];
    const langSelect = h("select", { "aria-label": t("language"), "data-testid": "lang" }, LANGUAGES.map((l) => h("option", { value: l.id, selected: l.id === lang() }, l.name)));
    langSelect.addEventListener("change", () => setLang(langSelect.value as Lang));
    replace(
      this.topbar,
      h("span", { class: "brand" }, t("app_title")),
      h(
        "nav",
        { class: "tabs" },
        tabs.map((tab) =>
          h("button", { type: "button", class: tab === this.tab ? "active" : "", "data-tab": tab, onclick: () => this.setTab(tab) }, t(`tab_${tab}`)),
        ),
      ),
      this.status,
      h("span", { class: "spacer" }),
      me
        ? h(
            "span",
            { class: "who", "data-testid": "who" },
            h("strong", {}, me.name),
            ` · ${t("role")}: `,
            h("span", { "data-testid": "role" }, tv("role", me.role)),
            ` · ${t("jurisdiction")}: `,
            h("span", { "data-testid": "jurisdiction" }, me.jurisdiction ? store.jurisdictionName(me.jurisdiction) : t("all_areas")),
          )
        : null,
      langSelect,
      h("button", { type: "button", class: "signout", "data-testid": "signout", onclick: () => this.signOut() }, t("signout")),
    );
    this.renderStatus();
  }

  stop(): void {
    this.live?.stop();
  }
}
