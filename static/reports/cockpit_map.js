// The cockpit's map (templates/reports/cockpit.html): inspection points coloured by open problems.
// With a tile server (settings.MAP_TILE_URL) the points lie on its map; without one they are drawn
// on a plain background at their positions, so the box is never blank.
(function () {
  "use strict";
  var box = document.getElementById("cockpit-map");
  var source = document.getElementById("cockpit-map-data");
  if (!box || !source || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = { none: "#198754", some: "#fd7e14", many: "#dc3545" };
  var map = L.map(box, { zoomSnap: 0.25, attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false, zoomControl: false });
  // Leaflet's own zoom buttons are titled "Zoom in"/"Zoom out": the same control, in Chinese.
  L.control.zoom({ zoomInTitle: "放大", zoomOutTitle: "缩小" }).addTo(map);
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { maxZoom: 18, attribution: data.tileAttribution || "" }).addTo(map);
  }
  var bounds = [];
  data.points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lng], {
      radius: p.open ? Math.min(6 + p.open, 14) : 5,
      color: "#fff", weight: 1, fillColor: colours[p.level] || colours.none, fillOpacity: 0.9,
      className: "cw-map-point cw-map-point-" + p.level
    }).addTo(map);
    var popup = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    var info = document.createElement("div");
    info.textContent = p.type + " · " + p.unit + " · 未整改问题 " + p.open + " 个";
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = "查看问题清单";
    popup.append(title, info, link);
    marker.bindPopup(popup);
    marker.bindTooltip(p.name + "（" + p.open + "）");
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15 });
  } else {
    map.setView([0, 0], 2);
    box.classList.add("cw-map-empty");
  }
  box.dataset.points = String(bounds.length);
  box.dataset.ready = "1";
})();
