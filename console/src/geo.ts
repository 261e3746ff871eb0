// Small spherical-earth helpers for drawing (course vectors, camera sectors, boxes).

const R = 6_371_000;
const RAD = Math.PI / 180;

/** The point `distance_m` from (lon, lat) along `bearing_deg`. */
export function destination(lon: number, lat: number, bearing_deg: number, distance_m: number): [number, number] {
  const d = distance_m / R;
  const b = bearing_deg * RAD;
  const p1 = lat * RAD;
  const l1 = lon * RAD;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [l2 / RAD, p2 / RAD];
}

/** Great-circle distance in metres between two (lon, lat) points. */
export function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dp = (lat2 - lat1) * RAD;
  const dl = (lon2 - lon1) * RAD;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dl / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A camera's field of view as a closed ring. */
export function sector(lon: number, lat: number, heading: number, fov: number, range_m: number): [number, number][] {
  const ring: [number, number][] = [[lon, lat]];
  const steps = 16;
  for (let i = 0; i <= steps; i++) {
    ring.push(destination(lon, lat, heading - fov / 2 + (fov * i) / steps, range_m));
  }
  ring.push([lon, lat]);
  return ring;
}

export type BBox = [number, number, number, number];

/** The bounding box of any GeoJSON geometry's coordinates. */
export function bboxOf(geometry: GeoJSON.Geometry): BBox {
  const box: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === "number") {
      const [x, y] = value as number[];
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    }
  };
  if (geometry.type === "GeometryCollection") geometry.geometries.forEach((g) => visit(bboxOf(g)));
  else visit(geometry.coordinates);
  return box;
}

export function knots(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : value.toFixed(1);
}
