// The results map: Leaflet with the city's district outlines and their names, resource points as vector circles (no marker images), the chosen point, and an optional tile layer set on the page.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import type { DistrictOutline, ResourceSummary } from "./queries";

export interface ResultsMap {
  /** Draws the districts' outlines with their names (those without an outline are left out) and fits the map to them. */
  showDistricts(districts: readonly DistrictOutline[]): void;
  /** Replaces the resource points; a click on one calls `onSelect` with its id. */
  showResources(resources: readonly ResourceSummary[]): void;
  /** Marks the point searched around. */
  showPoint(latitude: number, longitude: number): void;
}

/** A GeoJSON position ([longitude, latitude]) as Leaflet takes it ([latitude, longitude]). */
function latLngOf(position: readonly number[]): L.LatLngTuple {
  const [longitude, latitude] = position;
  if (longitude === undefined || latitude === undefined) throw new Error(`A district outline has a position without two numbers: ${JSON.stringify(position)}`);
  return [latitude, longitude];
}

/** The city's centre (Kaga area), where the map opens before any search. */
const INITIAL_VIEW: L.LatLngExpression = [36.4, 136.45];

/**
 * Builds the map in `element`. Its `data-tile-url` attribute (a {z}/{x}/{y} template) adds a tile layer with
 * `data-tile-attribution`; empty, the map shows points only, so a closed network requests nothing outside.
 */
export function createResultsMap(
  element: HTMLElement,
  onSelect: (id: string) => void,
  onChoosePoint: (latitude: number, longitude: number) => void,
): ResultsMap {
  const map = L.map(element, { center: INITIAL_VIEW, zoom: 13, attributionControl: true });
  const tileUrl = element.dataset.tileUrl?.trim();
  if (tileUrl) L.tileLayer(tileUrl, { attribution: element.dataset.tileAttribution ?? "", maxZoom: 19 }).addTo(map);
  // Outlines in a pane of their own below the points, and not clickable: a click inside a district still picks a point.
  map.createPane("districts").style.zIndex = "350";
  const districtLayer = L.featureGroup().addTo(map);
  const resourceLayer = L.featureGroup().addTo(map);
  let pointMarker: L.CircleMarker | null = null;
  map.on("click", (event: L.LeafletMouseEvent) => onChoosePoint(event.latlng.lat, event.latlng.lng));

  return {
    showDistricts(districts) {
      districtLayer.clearLayers();
      for (const { name, area } of districts) {
        if (area === null) continue;
        // GeoJSON positions are [longitude, latitude]; Leaflet takes [latitude, longitude]. One path per district, holes and all.
        const polygons = area.coordinates.map((polygon) => polygon.map((ring) => ring.map(latLngOf)));
        L.polygon(polygons, {
          pane: "districts",
          interactive: false,
          className: "district-outline",
          color: "#5b5b5b",
          weight: 2,
          dashArray: "6 4",
          fillColor: "#9fc5e8",
          fillOpacity: 0.12,
        })
          .bindTooltip(name, { permanent: true, direction: "center", className: "district-label", pane: "districts" })
          .addTo(districtLayer);
      }
      const bounds = districtLayer.getBounds();
      if (bounds.isValid() && resourceLayer.getLayers().length === 0) map.fitBounds(bounds, { padding: [12, 12] });
    },
    showResources(resources) {
      resourceLayer.clearLayers();
      for (const resource of resources) {
        if (resource.location === null) continue;
        L.circleMarker([resource.location.latitude, resource.location.longitude], {
          radius: 9,
          color: "#0b5394",
          weight: 2,
          fillColor: "#3d85c6",
          fillOpacity: 0.85,
          className: "resource-marker",
        })
          .bindTooltip(resource.names.official)
          .on("click", (event) => {
            L.DomEvent.stopPropagation(event);
            onSelect(resource.id);
          })
          .addTo(resourceLayer);
      }
      const bounds = resourceLayer.getBounds();
      if (pointMarker !== null) bounds.extend(pointMarker.getLatLng());
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    },
    showPoint(latitude, longitude) {
      pointMarker?.remove();
      pointMarker = L.circleMarker([latitude, longitude], {
        radius: 7,
        color: "#a61c00",
        weight: 3,
        fillColor: "#fff",
        fillOpacity: 1,
        className: "point-marker",
      })
        .bindTooltip("検索の中心")
        .addTo(map);
    },
  };
}
