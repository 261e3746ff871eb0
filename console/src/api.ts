// The API client: same origin, the key as a bearer header (never in a URL, except the
// WebSocket's, which a browser cannot give headers).

const SESSION_KEY = "shorewatch.key";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${status}: ${detail}`);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(SESSION_KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(SESSION_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

/** A sign-in link (`/#key=…`, printed by the demo): keep the key for the tab and take it out of
 * the address bar and the history at once. */
export function takeKeyFromLink(): void {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (!match) return;
  storeKey(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

function detailOf(body: unknown, fallback: string): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (d && typeof d === "object" && "msg" in d ? String(d.msg) : String(d))).join("; ");
    }
  }
  return fallback;
}

async function request(method: string, path: string, body?: unknown, key = storedKey()): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (!response.ok) {
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    const error = new ApiError(response.status, detailOf(parsed, response.statusText));
    if (response.status === 401) unauthorised(error);
    throw error;
  }
  return response;
}

let onUnauthorised: (error: ApiError) => void = () => undefined;

export function setUnauthorisedHandler(handler: (error: ApiError) => void): void {
  onUnauthorised = handler;
}

function unauthorised(error: ApiError): void {
  onUnauthorised(error);
}

export async function get<T>(path: string, key?: string): Promise<T> {
  const response = await request("GET", path, undefined, key ?? storedKey());
  return (await response.json()) as T;
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  const response = await request("POST", path, body ?? {});
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** An authorised binary (a camera snapshot) as a blob: URL an <img> may show under the CSP. */
export async function blobUrl(path: string): Promise<string> {
  const response = await request("GET", path);
  return URL.createObjectURL(await response.blob());
}

export function query(params: Record<string, string | number | (string | number)[] | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
