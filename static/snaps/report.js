// 随手拍 report form: the phone's position (browser geolocation) or typed words suggest nearby
// inspection points; picking one fills the hidden point field. No inline script (CSP); all text
// from the server is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("cw-snap-form");
  if (!form) return;
  var url = form.getAttribute("data-points-url");
  var list = document.getElementById("cw-snap-points");
  var status = document.getElementById("cw-snap-locate-status");
  var place = form.querySelector("input[name=place]");
  var lat = form.querySelector("input[name=latitude]");
  var lng = form.querySelector("input[name=longitude]");
  var point = form.querySelector("input[name=point]");
  var button = document.getElementById("cw-snap-locate");
  var timer = null;

  function show(points, emptyText) {
    list.replaceChildren();
    if (!points.length) {
      if (emptyText) status.textContent = emptyText;
      return;
    }
    points.forEach(function (p) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action";
      item.setAttribute("data-point", String(p.id));
      var name = document.createElement("span");
      name.textContent = p.name;
      item.appendChild(name);
      var extra = [p.address, p.distance !== null ? "约 " + p.distance + " 米" : ""].filter(Boolean).join(" · ");
      if (extra) {
        var small = document.createElement("small");
        small.className = "text-muted ms-2";
        small.textContent = extra;
        item.appendChild(small);
      }
      item.addEventListener("click", function () {
        point.value = String(p.id);
        if (!place.value.trim()) place.value = p.name;
        list.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
        item.classList.add("active");
        status.textContent = "已选择点位：" + p.name;
      });
      list.appendChild(item);
    });
  }

  function fetchPoints(query, emptyText) {
    fetch(url + "?" + new URLSearchParams(query).toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { points: [] }; })
      .then(function (data) { show(data.points || [], emptyText); })
      .catch(function () { /* suggestions are optional */ });
  }

  if (button) {
    if (!("geolocation" in navigator)) button.disabled = true;
    button.addEventListener("click", function () {
      status.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        status.textContent = "已获取位置（精度约 " + Math.round(pos.coords.accuracy) + " 米），可在下方选择附近点位。";
        fetchPoints({ lat: lat.value, lng: lng.value }, "已获取位置，附近没有登记的点位，请在上方补充地点描述。");
      }, function () {
        status.textContent = "无法获取位置（可能未授权），请直接输入地点。";
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  place.addEventListener("input", function () {
    point.value = "";
    clearTimeout(timer);
    var text = place.value.trim();
    if (text.length < 2 || lat.value) return;
    timer = setTimeout(function () { fetchPoints({ q: text }, ""); }, 400);
  });
})();
