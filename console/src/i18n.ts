// Every string the console shows, in one catalogue: English and Simplified Chinese. The
// language comes from the switch (remembered in localStorage) or the browser's language.
// Adding a language: docs/console.md, "Adding a language".

const en = {
  app_title: "ShoreWatch",
  signin_title: "Sign in",
  signin_help: "Enter your API key (from `shorewatch token create`) or the service token. It is kept for this tab only.",
  signin_key: "API key",
  signin_button: "Sign in",
  signin_failed: "The key was not accepted.",
  signin_ended: "Your session ended: the key was revoked or the user disabled.",
  signout: "Sign out",
  language: "Language",
  role: "Role",
  jurisdiction: "Jurisdiction",
  all_areas: "all areas",
  tab_picture: "Picture",
  tab_units: "Units",
  tab_history: "History",
  tab_stats: "Statistics",
  live_connected: "live",
  live_disconnected: "reconnecting…",
  targets_in_view: "{n} targets",
  // roles
  role_operator: "operator",
  role_dispatcher: "dispatcher",
  role_engineer: "engineer",
  role_admin: "admin",
  // levels (a text label beside every colour)
  level_red: "RED",
  level_orange: "ORANGE",
  level_yellow: "YELLOW",
  level_blue: "BLUE",
  level_none: "no alert",
  // states
  state_new: "new",
  state_acknowledged: "acknowledged",
  state_dispatched: "dispatched",
  state_resolved: "resolved",
  state_reviewed: "reviewed",
  state_open: "open",
  // outcomes
  outcome_confirmed: "confirmed",
  outcome_false_alarm: "false alarm",
  outcome_benign: "benign",
  // event kinds
  kind_dark_target: "dark target",
  kind_ais_gap: "AIS gap",
  kind_encounter: "encounter",
  kind_loitering: "loitering",
  kind_zone_entry: "zone entry",
  kind_high_speed: "high speed",
  kind_spoofing: "spoofing",
  kind_watchlist_sighting: "watch-list sighting",
  kind_camera_target: "camera target",
  kind_sensor_offline: "sensor offline",
  kind_field_report: "field report",
  // sources
  source_ais: "AIS",
  source_radar: "radar",
  source_camera: "camera",
  // desk
  desk_title: "Alert desk",
  desk_empty: "No alerts match.",
  filter_level: "Level",
  filter_kind: "Kind",
  filter_state: "State",
  filter_jurisdiction: "Area",
  filter_any: "any",
  row_alerts: "{n} alerts",
  age_s: "{n} s",
  age_min: "{n} min",
  age_h: "{n} h",
  age_d: "{n} d",
  ago: "{age} ago",
  new_red: "New RED alert: {target}",
  silenced: "silenced",
  escalated: "escalated ×{n}",
  // detail
  back: "Back",
  close: "Close",
  detail_score: "Score {score}: why",
  detail_factors: "Score factors",
  detail_points: "{n} pts",
  detail_events: "Events",
  detail_snapshots: "Camera snapshots",
  detail_no_snapshots: "No camera evidence.",
  detail_suggestions: "Suggested units",
  detail_no_suggestions: "No free unit suits this alert.",
  detail_eta: "ETA {eta}",
  detail_distance: "{km} km",
  detail_assignments: "Units sent",
  detail_history: "Audit history",
  detail_actions: "Actions",
  detail_show_track: "Show track on map",
  detail_other_alerts: "Alerts on this target",
  detail_zone: "Zone",
  detail_created: "Raised",
  detail_target: "Target",
  action_ack: "Acknowledge",
  action_dispatch: "Dispatch",
  action_resolve: "Resolve",
  action_review: "Review",
  action_created: "Raised",
  action_silence: "Silence",
  action_note: "Note",
  action_outcome: "Outcome",
  action_unit: "Unit",
  action_done: "Done: {action}.",
  action_failed: "Failed: {detail}",
  action_conflict: "Not allowed now: the alert is {state}. Allowed: {allowed}.",
  action_conflict_none: "nothing (final state)",
  action_forbidden: "Your role may not do this.",
  silence_minutes: "Minutes",
  silence_reason: "Reason",
  silence_done: "Silenced until {until}.",
  audit_by: "{action} by {actor}",
  // target card
  card_identity: "Identity",
  card_mmsi: "MMSI",
  card_callsign: "Call sign",
  card_type: "Type",
  card_length: "Length",
  card_sources: "Sources",
  card_last_fix: "Last fix",
  card_speed: "Speed",
  card_course: "Course",
  card_heading: "Heading",
  card_watchlisted: "WATCH LIST",
  card_open_alerts: "Open alerts",
  card_no_alerts: "No open alerts.",
  card_track: "Track history",
  card_track_points: "{n} fixes in the last hour",
  card_unnamed: "(no name)",
  // units
  units_title: "Patrol units",
  units_state: "State",
  units_kind: "Kind",
  units_assignment: "Assignment",
  units_fix_age: "Last position",
  units_none: "No units.",
  unit_available: "available",
  unit_en_route: "en route",
  unit_on_scene: "on scene",
  unit_returning: "returning",
  unit_out_of_service: "out of service",
  unit_sea: "sea",
  unit_land: "land",
  // sensors
  sensor_offline: "OFFLINE",
  // history
  history_title: "History playback",
  history_from: "From",
  history_to: "To",
  history_area: "Area",
  history_area_view: "current map view",
  history_load: "Load",
  history_play: "Play",
  history_pause: "Pause",
  history_loaded: "{tracks} tracks, {points} fixes, {events} events",
  history_truncated: "(truncated: the newest fixes only)",
  history_too_large: "The area is too large for playback: zoom in or pick a smaller area.",
  history_speed: "Speed",
  history_exit: "Back to live",
  // stats
  stats_title: "Performance by area",
  stats_window: "Last {days} days",
  stats_by_level: "Alerts by level",
  stats_by_outcome: "Outcomes",
  stats_times: "Median time to act (minutes)",
  stats_ack: "acknowledge",
  stats_dispatch: "dispatch",
  stats_resolve: "resolve",
  stats_none: "No alerts in this window.",
  stats_unassigned: "(outside every area)",
  // legend
  legend: "Key",
  legend_ais: "AIS vessel (points along its course)",
  legend_radar: "radar track",
  legend_camera: "camera track",
  legend_fused: "AIS vessel confirmed by radar/camera (ringed)",
  legend_unit: "patrol unit, coloured by state",
  legend_sensor: "sensor (crossed out: offline)",
  legend_dots: "over 2,000 in view: ● AIS, ○ radar, blue ● camera (alerted ones keep their symbol)",
  legend_vector: "course vector: where it is in 3 min",
  legend_trail: "trail: the last 5 min",
  zone_restricted: "restricted area",
  zone_port: "port",
  zone_anchorage: "anchorage",
  zone_landing: "landing watch",
  zone_coastline: "coastline",
  zone_coverage: "coverage",
  // misc
  error_network: "The service cannot be reached.",
  loading: "Loading…",
  unknown: "—",
  kn: "{n} kn",
  deg: "{n}°",
  m: "{n} m",
};

export type Key = keyof typeof en;

const zh: Record<Key, string> = {
  app_title: "海岸卫士",
  signin_title: "登录",
  signin_help: "请输入您的 API 密钥（由 `shorewatch token create` 生成）或服务令牌。密钥仅保存在当前标签页。",
  signin_key: "API 密钥",
  signin_button: "登录",
  signin_failed: "密钥无效。",
  signin_ended: "会话已结束：密钥已被吊销或用户已停用。",
  signout: "退出",
  language: "语言",
  role: "角色",
  jurisdiction: "辖区",
  all_areas: "全部辖区",
  tab_picture: "态势",
  tab_units: "巡逻力量",
  tab_history: "历史回放",
  tab_stats: "统计",
  live_connected: "实时",
  live_disconnected: "正在重连…",
  targets_in_view: "{n} 个目标",
  role_operator: "值班员",
  role_dispatcher: "调度员",
  role_engineer: "工程师",
  role_admin: "管理员",
  level_red: "红色",
  level_orange: "橙色",
  level_yellow: "黄色",
  level_blue: "蓝色",
  level_none: "无告警",
  state_new: "新告警",
  state_acknowledged: "已确认",
  state_dispatched: "已派遣",
  state_resolved: "已处置",
  state_reviewed: "已复核",
  state_open: "未结",
  outcome_confirmed: "属实",
  outcome_false_alarm: "误报",
  outcome_benign: "无害",
  kind_dark_target: "暗目标",
  kind_ais_gap: "AIS 中断",
  kind_encounter: "海上会合",
  kind_loitering: "徘徊",
  kind_zone_entry: "闯入区域",
  kind_high_speed: "高速",
  kind_spoofing: "身份伪造",
  kind_watchlist_sighting: "布控船只",
  kind_camera_target: "视频目标",
  kind_sensor_offline: "传感器离线",
  kind_field_report: "现场报告",
  source_ais: "AIS",
  source_radar: "雷达",
  source_camera: "光电",
  desk_title: "告警台",
  desk_empty: "没有符合条件的告警。",
  filter_level: "等级",
  filter_kind: "类型",
  filter_state: "状态",
  filter_jurisdiction: "辖区",
  filter_any: "全部",
  row_alerts: "{n} 条告警",
  age_s: "{n} 秒",
  age_min: "{n} 分钟",
  age_h: "{n} 小时",
  age_d: "{n} 天",
  ago: "{age}前",
  new_red: "新的红色告警：{target}",
  silenced: "已静默",
  escalated: "已升级 ×{n}",
  back: "返回",
  close: "关闭",
  detail_score: "评分 {score}：原因",
  detail_factors: "评分因素",
  detail_points: "{n} 分",
  detail_events: "事件",
  detail_snapshots: "视频截图",
  detail_no_snapshots: "无视频证据。",
  detail_suggestions: "建议派遣",
  detail_no_suggestions: "没有适合此告警的空闲力量。",
  detail_eta: "预计 {eta} 到达",
  detail_distance: "{km} 公里",
  detail_assignments: "已派力量",
  detail_history: "审计记录",
  detail_actions: "操作",
  detail_show_track: "在地图上显示航迹",
  detail_other_alerts: "该目标的告警",
  detail_zone: "区域",
  detail_created: "产生时间",
  detail_target: "目标",
  action_ack: "确认",
  action_dispatch: "派遣",
  action_resolve: "处置",
  action_review: "复核",
  action_created: "产生",
  action_silence: "静默",
  action_note: "备注",
  action_outcome: "结果",
  action_unit: "力量",
  action_done: "已完成：{action}。",
  action_failed: "失败：{detail}",
  action_conflict: "当前不允许：告警状态为{state}。允许的操作：{allowed}。",
  action_conflict_none: "无（最终状态）",
  action_forbidden: "您的角色无权执行此操作。",
  silence_minutes: "分钟",
  silence_reason: "原因",
  silence_done: "已静默至 {until}。",
  audit_by: "{actor}：{action}",
  card_identity: "身份",
  card_mmsi: "MMSI",
  card_callsign: "呼号",
  card_type: "船型",
  card_length: "船长",
  card_sources: "来源",
  card_last_fix: "最后定位",
  card_speed: "航速",
  card_course: "航向",
  card_heading: "艏向",
  card_watchlisted: "布控名单",
  card_open_alerts: "未结告警",
  card_no_alerts: "没有未结告警。",
  card_track: "历史航迹",
  card_track_points: "最近一小时 {n} 个定位点",
  card_unnamed: "（无船名）",
  units_title: "巡逻力量",
  units_state: "状态",
  units_kind: "类别",
  units_assignment: "任务",
  units_fix_age: "最后位置",
  units_none: "没有巡逻力量。",
  unit_available: "待命",
  unit_en_route: "出动中",
  unit_on_scene: "到达现场",
  unit_returning: "返航",
  unit_out_of_service: "停用",
  unit_sea: "海上",
  unit_land: "陆地",
  sensor_offline: "离线",
  history_title: "历史回放",
  history_from: "开始",
  history_to: "结束",
  history_area: "区域",
  history_area_view: "当前地图范围",
  history_load: "加载",
  history_play: "播放",
  history_pause: "暂停",
  history_loaded: "{tracks} 条航迹，{points} 个定位点，{events} 个事件",
  history_truncated: "（已截断：仅最新定位点）",
  history_too_large: "区域过大，无法回放：请放大地图或选择较小区域。",
  history_speed: "速度",
  history_exit: "返回实时",
  stats_title: "各辖区绩效",
  stats_window: "最近 {days} 天",
  stats_by_level: "按等级的告警数",
  stats_by_outcome: "处置结果",
  stats_times: "处置时间中位数（分钟）",
  stats_ack: "确认",
  stats_dispatch: "派遣",
  stats_resolve: "处置",
  stats_none: "此时间段内没有告警。",
  stats_unassigned: "（不属于任何辖区）",
  legend: "图例",
  legend_ais: "AIS 船舶（指向航向）",
  legend_radar: "雷达航迹",
  legend_camera: "光电航迹",
  legend_fused: "经雷达/光电印证的 AIS 船舶（带圈）",
  legend_unit: "巡逻力量（颜色表示状态）",
  legend_sensor: "传感器（打叉：离线）",
  legend_dots: "视野内超过 2000 个目标时：● AIS，○ 雷达，蓝色 ● 光电（有告警的保留符号）",
  legend_vector: "航向线：3 分钟后的位置",
  legend_trail: "尾迹：最近 5 分钟",
  zone_restricted: "禁航区",
  zone_port: "港口",
  zone_anchorage: "锚地",
  zone_landing: "登陆监视区",
  zone_coastline: "岸线",
  zone_coverage: "覆盖范围",
  error_network: "无法连接服务。",
  loading: "加载中…",
  unknown: "—",
  kn: "{n} 节",
  deg: "{n}°",
  m: "{n} 米",
};

export const CATALOGUE = { en, zh } as const;
export type Lang = keyof typeof CATALOGUE;
export const LANGUAGES: { id: Lang; name: string }[] = [
  { id: "en", name: "English" },
  { id: "zh", name: "简体中文" },
];

const STORE_KEY = "shorewatch.lang";
let current: Lang = pickLanguage();
const listeners: (() => void)[] = [];

function pickLanguage(): Lang {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved && saved in CATALOGUE) return saved as Lang;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (base in CATALOGUE) return base as Lang;
  }
  return "en";
}

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORE_KEY, next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : next;
  for (const listener of listeners) listener();
}

export function onLangChange(listener: () => void): void {
  listeners.push(listener);
}

/** The string for `key` in the current language, `{name}` placeholders filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = CATALOGUE[current][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** A catalogue key built from a value (a level, a state, a kind); falls back to the value. */
export function tv(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined) return t("unknown");
  const key = `${prefix}_${value}` as Key;
  return key in en ? t(key) : value;
}

export function age(fromIso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (seconds < 90) return t("age_s", { n: seconds });
  if (seconds < 90 * 60) return t("age_min", { n: Math.round(seconds / 60) });
  if (seconds < 36 * 3600) return t("age_h", { n: Math.round(seconds / 3600) });
  return t("age_d", { n: Math.round(seconds / 86400) });
}

export function duration(seconds: number): string {
  if (seconds < 90) return t("age_s", { n: Math.round(seconds) });
  if (seconds < 90 * 60) return t("age_min", { n: Math.round(seconds / 60) });
  return t("age_h", { n: (seconds / 3600).toFixed(1) });
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

document.documentElement.lang = current === "zh" ? "zh-CN" : current;
