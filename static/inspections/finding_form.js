// Finding form: point and indicator pickers, "near me" search, one submission per form.
(function () {
  var form = document.getElementById("finding-form");
  if (!form) return;
  document.getElementById("id_unit").classList.add("form-select", "form-select-lg");
  // Picking from the search fragments fills the hidden ids and asks for the suggested points.
  document.addEventListener("click", function (e) {
    var p = e.target.closest("[data-pick-point]");
    if (p) {
      document.getElementById("id_point").value = p.dataset.pickPoint;
      var box = document.getElementById("point-chosen");
      box.querySelector("[data-role=name]").textContent = p.dataset.name;
      box.querySelector("[data-role=meta]").textContent = p.dataset.type + " · 包保单位 " + p.dataset.unit;
      box.classList.remove("d-none");
      document.getElementById("point-results").innerHTML = "";
      document.body.dispatchEvent(new Event("pick"));
    }
    var i = e.target.closest("[data-pick-indicator]");
    if (i) {
      document.getElementById("id_indicator").value = i.dataset.pickIndicator;
      var ib = document.getElementById("indicator-chosen");
      ib.querySelector("[data-role=label]").textContent = i.dataset.label;
      ib.classList.remove("d-none");
      document.getElementById("indicator-results").innerHTML = "";
      document.body.dispatchEvent(new Event("pick"));
    }
  });
  document.getElementById("near-me").addEventListener("click", function () {
    var btn = this;
    if (!navigator.geolocation) { btn.textContent = "此浏览器不能定位，请搜索点位"; return; }
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      btn.disabled = false;
      htmx.ajax("GET", btn.dataset.searchUrl + "?lat=" + pos.coords.latitude + "&lng=" + pos.coords.longitude, "#point-results");
    }, function () { btn.disabled = false; btn.textContent = "无法获取位置，请搜索点位"; }, {timeout: 10000});
  });
  // One finding per form: disable the buttons once sent (the server also de-duplicates by client_token).
  form.addEventListener("submit", function () {
    setTimeout(function () { form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; }); }, 0);
  });
})();
