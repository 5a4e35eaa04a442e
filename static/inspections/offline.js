/* 创文督查 offline capture (docs/inspections.md, “离线登记”).
 *
 * - registers the service worker (/sw.js), which keeps 登记问题, 清单检查 and the campaign's data;
 * - a form marked data-offline-sync, sent with no signal, goes into a queue in IndexedDB
 *   (idb-keyval store "cw-offline"/"queue"), photos included as Blobs, and survives closing the browser;
 * - the queue is sent in the order it was recorded when the connection returns (the "online" event,
 *   page load, every minute, or the 立即发送 button), one item at a time, under a Web Lock so that two
 *   tabs never send together; a finding counts once on the server by its client_token, a checklist
 *   round by its (inspection, point, standard) checks;
 * - what the server refuses (HTTP 422) stays in the queue with the server's message, to be corrected
 *   (修改: the form opens again filled in, photos included) or deleted; nothing is dropped silently;
 * - the queue panel (#offline-queue) shows every waiting item; #offline-queue-status (home page) shows the count.
 * - with no signal the point and standard searches of 登记问题 run on the cached campaign data.
 */
(function () {
  "use strict";
  if (!window.idbKeyval || !window.indexedDB) return;
  var idb = window.idbKeyval;
  var store = idb.createStore("cw-offline", "queue");
  var STATUS_URL = "/inspections/offline/status/";
  var syncing = false;
  var lastNotice = "";
  var campaignData = null;
  // Who is logged in: a phone may be shared; each user sees and sends only their own items.
  var currentUser = (document.currentScript && document.currentScript.dataset.cwUser) || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline mode */ });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function newKey() {
    // Keys sort in recording order.
    return "q" + String(Date.now()).padStart(15, "0") + "-" + uuid().slice(0, 8);
  }

  function listItems() {
    return idb.entries(store).then(function (entries) {
      return entries.map(function (e) { var item = e[1]; item.key = e[0]; return item; })
        .sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(iso) {
    var d = new Date(iso);
    function two(n) { return String(n).padStart(2, "0"); }
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  // --- what a form holds -------------------------------------------------------------------

  function readForm(form) {
    var fields = [], files = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "next" || name.indexOf("_cw_") === 0) return;
      if (name === "q" || name === "type") return;  // the search boxes of 登记问题
      if (value instanceof File) {
        if (value.size === 0 && !value.name) return;  // an empty file input
        files.push({name: name, filename: value.name, type: value.type, blob: value});
      } else {
        fields.push([name, value]);
      }
    });
    return {fields: fields, files: files};
  }

  function fieldValue(fields, name) {
    for (var i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
    return "";
  }

  function describe(form, data) {
    var kind = form.dataset.offlineKind;
    if (kind === "finding") {
      var point = document.querySelector("#point-chosen [data-role=name]");
      var indicator = document.querySelector("#indicator-chosen [data-role=label]");
      var desc = fieldValue(data.fields, "description");
      return {
        title: "登记问题：" + ((point && fieldValue(data.fields, "point") && point.textContent.trim()) || "（未选点位）"),
        detail: ((indicator && indicator.textContent.trim()) || "") + " · " + desc.slice(0, 40),
        display: {
          point: point ? point.textContent.trim() : "",
          pointMeta: (document.querySelector("#point-chosen [data-role=meta]") || {}).textContent || "",
          indicator: indicator ? indicator.textContent.trim() : ""
        }
      };
    }
    var results = data.fields.filter(function (f) { return f[0].indexOf("result_") === 0; });
    var failed = results.filter(function (f) { return f[1] === "fail"; }).length;
    return {
      title: "清单检查：" + (form.dataset.offlineLabel || ""),
      detail: "检查 " + results.length + " 项，不合格 " + failed + " 项",
      display: {}
    };
  }

  function checkForm(form, data) {
    if (form.dataset.offlineKind === "finding") {
      if (!fieldValue(data.fields, "indicator")) return "请选择测评标准。";
      if (!fieldValue(data.fields, "point") && !fieldValue(data.fields, "unit")) return "请选择点位或责任单位。";
      if (!fieldValue(data.fields, "description").trim()) return "请填写问题描述。";
    } else if (!data.fields.some(function (f) { return f[0].indexOf("result_") === 0; })) {
      return "请至少标记一项检查结果。";
    }
    return "";
  }

  function freshToken(form) {
    var token = form.querySelector("input[name=client_token]");
    if (token) token.value = uuid();
  }

  function clearAfterQueue(form) {
    if (form.dataset.offlineKind === "finding") {
      ["description", "points"].forEach(function (n) { var f = form.elements[n]; if (f) f.value = ""; });
      var ind = form.elements.indicator; if (ind) ind.value = "";
      var box = document.getElementById("indicator-chosen"); if (box) box.classList.add("d-none");
      // The next problem at the same point: its standards offered again, the search box empty.
      var search = document.getElementById("indicator-q"); if (search) search.value = "";
      var results = document.getElementById("indicator-results");
      if (results && campaignData && !navigator.onLine) renderIndicators(results, "");
    } else {
      form.reset();
      form.querySelectorAll(".fail-details").forEach(function (d) { d.classList.add("d-none"); });
    }
    form.querySelectorAll("input[type=file]").forEach(function (f) { f.value = ""; });
    freshToken(form);
  }

  function notice(form, text, kind) {
    var box = document.getElementById("offline-notice");
    if (!box) {
      box = el("div", {id: "offline-notice", role: "status", "data-testid": "offline-notice"});
      form.parentNode.insertBefore(box, form);
    }
    box.className = "alert alert-" + (kind || "info");
    box.textContent = text;
    box.scrollIntoView({block: "nearest"});
  }

  // --- queueing a form ---------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-sync]")) return;
    if (form.querySelector("input[data-busy]")) return;  // photos.js submits again once photos are small
    var reopened = form.dataset.reopenedItem;
    if (navigator.onLine && !reopened) {
      // The ordinary post. Should it get no answer at all, the service worker keeps it in the queue
      // with these fields (the server ignores them).
      var data0 = readForm(form), text0 = describe(form, data0);
      var meta = {user: form.dataset.offlineUser, key: newKey(), title: text0.title, detail: text0.detail,
        display: JSON.stringify(text0.display)};
      Object.keys(meta).forEach(function (name) {
        var input = form.querySelector("input[name=_cw_" + name + "]");
        if (!input) { input = el("input", {type: "hidden", name: "_cw_" + name}); form.appendChild(input); }
        input.value = meta[name];
      });
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var data = readForm(form);
    var problem = checkForm(form, data);
    if (problem) { notice(form, problem, "danger"); return; }
    var text = describe(form, data);
    var save = reopened ? idb.get(reopened, store) : Promise.resolve(null);
    save.then(function (old) {
      var item = {
        kind: form.dataset.offlineKind, url: form.dataset.offlineSync, formUrl: location.pathname,
        user: form.dataset.offlineUser, title: text.title, detail: text.detail, display: text.display,
        fields: data.fields, files: data.files, created: old ? old.created : new Date().toISOString(),
        error: ""
      };
      var key = old ? reopened : newKey();
      // Ask the browser not to evict the queue under storage pressure (granted to installed apps).
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
      return idb.set(key, item, store).then(function () { return key; });
    }).then(function () {
      delete form.dataset.reopenedItem;
      var banner = document.getElementById("offline-reopened"); if (banner) banner.remove();
      clearAfterQueue(form);
      return render();
    }).then(function (count) {
      notice(form, (navigator.onLine ? "已保存，正在发送……" : "没有网络：已保存在本机，联网后自动发送。") +
        "（待发送 " + count + " 条）", "warning");
      if (navigator.onLine) syncAll();
    }).catch(function (err) {
      notice(form, "无法保存到本机（" + (err && err.name || "存储错误") + "），请保持页面并联网后再提交。", "danger");
    });
  }, true);

  // --- sending -----------------------------------------------------------------------------

  function withLock(fn) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("cw-offline-sync", fn);
    return fn();
  }

  function send(item, csrf) {
    var body = new FormData();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    item.files.forEach(function (f) { body.append(f.name, f.blob, f.filename || "photo.jpg"); });
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        return {status: response.status, json: json};
      });
    });
  }

  function syncAll() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    return withLock(function () {
      return listItems().then(function (items) {
        var waiting = items.filter(function (i) { return !i.error; });
        if (!waiting.length) return;
        return fetch(STATUS_URL, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
          .then(function (r) { return r.json().catch(function () { return {ok: false, errors: ["服务器暂时无法接收，稍后自动重试。"]}; }); })
          .then(function (status) {
            if (!status.ok) { lastNotice = (status.errors || []).join("；"); return; }
            lastNotice = "";
            // In recording order; stop at the first item that could not reach the server.
            return waiting.reduce(function (chain, item) {
              return chain.then(function (go) {
                if (go === false) return false;
                if (String(item.user) !== String(status.user)) { return true; }
                return send(item, status.csrf).then(function (res) {
                  if (res.status === 200 && res.json && res.json.ok) {
                    return idb.del(item.key, store).then(function () {
                      lastNotice = res.json.message || "";
                      return true;
                    });
                  }
                  if (res.status === 422 && res.json) {
                    item.error = (res.json.errors || []).join("；") || "服务器拒绝了此条。";
                    var key = item.key; delete item.key;
                    return idb.set(key, item, store).then(function () { return true; });
                  }
                  lastNotice = (res.json && res.json.errors && res.json.errors.join("；")) ||
                    "服务器暂时无法接收（HTTP " + res.status + "），稍后自动重试。";
                  return false;
                }, function () {
                  lastNotice = "网络中断，稍后自动重试。";
                  return false;
                });
              });
            }, Promise.resolve(true));
          });
      });
    }).catch(function () { lastNotice = "网络中断，稍后自动重试。"; })
      .then(function () { syncing = false; return render(); });
  }

  // --- the queue panel ---------------------------------------------------------------------

  function itemRow(item) {
    var li = el("li", {"class": "list-group-item", "data-queue-item": item.key});
    var head = el("div", {"class": "d-flex justify-content-between gap-2 flex-wrap"});
    head.appendChild(el("strong", {"class": "cw-break"}, item.title));
    head.appendChild(el("small", {"class": "text-muted"}, when(item.created)));
    li.appendChild(head);
    li.appendChild(el("div", {"class": "small cw-break"}, item.detail + (item.files.length ? " · 照片 " + item.files.length + " 张" : "")));
    if (item.error) {
      li.appendChild(el("div", {"class": "small text-danger", "data-testid": "queue-error"}, "未被接收：" + item.error));
    }
    var actions = el("div", {"class": "d-flex gap-2 mt-2"});
    var edit = el("a", {"class": "btn btn-outline-secondary", href: item.formUrl + "?offline_item=" + encodeURIComponent(item.key),
      "data-testid": "queue-edit"}, item.error ? "修改后重发" : "查看/修改");
    var del = el("button", {type: "button", "class": "btn btn-outline-danger", "data-queue-delete": item.key,
      "data-testid": "queue-delete"}, "删除");
    actions.appendChild(edit);
    actions.appendChild(del);
    li.appendChild(actions);
    return li;
  }

  function render() {
    return listItems().then(function (all) {
      var items = all.filter(function (i) { return !currentUser || String(i.user) === String(currentUser); });
      var others = all.length - items.length;
      var refused = items.filter(function (i) { return i.error; }).length;
      var text = items.length ? "待发送 " + items.length + " 条" + (refused ? "（其中 " + refused + " 条未被接收，需修改或删除）" : "")
        : "没有待发送的记录";
      if (others) text += "；另有其他账号的 " + others + " 条，该账号登录后发送";
      var status = document.getElementById("offline-queue-status");
      if (status) {
        status.textContent = text + (navigator.onLine ? "" : " · 当前离线");
        status.setAttribute("data-count", String(items.length));
      }
      var panel = document.getElementById("offline-queue");
      if (panel) {
        // Always shown on 登记问题 and 清单检查 (how many wait, even none); on the home page only when some wait.
        panel.classList.toggle("d-none", !items.length && !lastNotice && !!document.getElementById("offline-queue-status"));
        panel.innerHTML = "";
        var head = el("div", {"class": "card-body py-2 d-flex flex-wrap gap-2 align-items-center"});
        head.appendChild(el("span", {"class": "fw-bold me-auto", "data-testid": "queue-count", "data-count": String(items.length)}, text));
        if (!navigator.onLine) head.appendChild(el("span", {"class": "badge text-bg-secondary"}, "离线"));
        if (items.length && navigator.onLine) {
          head.appendChild(el("button", {type: "button", "class": "btn btn-danger", "data-queue-send": "1"}, "立即发送"));
        }
        panel.appendChild(head);
        if (lastNotice) panel.appendChild(el("div", {"class": "px-3 pb-2 small", "data-testid": "queue-notice"}, lastNotice));
        if (items.length) {
          var list = el("ul", {"class": "list-group list-group-flush"});
          items.forEach(function (item) { list.appendChild(itemRow(item)); });
          panel.appendChild(list);
        }
      }
      return items.length;
    });
  }

  document.addEventListener("click", function (event) {
    var del = event.target.closest("[data-queue-delete]");
    if (del) {
      if (!window.confirm("删除后此条记录不会发送，且无法恢复。确定删除？")) return;
      idb.del(del.dataset.queueDelete, store).then(render);
      return;
    }
    if (event.target.closest("[data-queue-send]")) syncAll();
  });

  // --- re-opening a queued item in its form ------------------------------------------------

  function reopen(form, key) {
    return idb.get(key, store).then(function (item) {
      if (!item) return;
      form.dataset.reopenedItem = key;
      item.fields.forEach(function (f) {
        var inputs = form.querySelectorAll("[name='" + f[0].replace(/'/g, "") + "']");
        inputs.forEach(function (input) {
          if (input.type === "radio" || input.type === "checkbox") {
            if (input.value === f[1]) { input.checked = true; input.dispatchEvent(new Event("change", {bubbles: true})); }
          } else if (input.type !== "file") {
            input.value = f[1];
          }
        });
      });
      var byField = {};
      item.files.forEach(function (f) { (byField[f.name] = byField[f.name] || []).push(f); });
      Object.keys(byField).forEach(function (name) {
        var input = form.querySelector("input[type=file][name='" + name + "']");
        if (!input || !window.DataTransfer) return;
        var transfer = new DataTransfer();
        byField[name].forEach(function (f) { transfer.items.add(new File([f.blob], f.filename || "photo.jpg", {type: f.type || f.blob.type})); });
        input.files = transfer.files;
      });
      var d = item.display || {};
      if (d.point) {
        var pc = document.getElementById("point-chosen");
        if (pc) { pc.querySelector("[data-role=name]").textContent = d.point; pc.querySelector("[data-role=meta]").textContent = d.pointMeta || ""; pc.classList.remove("d-none"); }
      }
      if (d.indicator) {
        var ic = document.getElementById("indicator-chosen");
        if (ic) { ic.querySelector("[data-role=label]").textContent = d.indicator; ic.classList.remove("d-none"); }
      }
      var banner = el("div", {id: "offline-reopened", "class": "alert alert-warning", "data-testid": "offline-reopened"},
        "正在修改待发送的记录（" + when(item.created) + "）。" + (item.error ? "未被接收的原因：" + item.error : "") +
        "修改后点保存，仍按原顺序发送。");
      form.parentNode.insertBefore(banner, form);
    });
  }

  // --- searching the cached campaign data when there is no signal ---------------------------

  // The campaign data: fetched online (the service worker keeps a copy too) and kept in IndexedDB,
  // which the page reads when there is no signal.
  var dataStore = idb.createStore("cw-offline-data", "data");
  var dataReady = Promise.resolve(null);

  function loadData(url) {
    if (!url) return;
    var fromDevice = function () {
      return idb.get(url, dataStore).then(function (json) { return json || idb.get("latest", dataStore); })
        .catch(function () { return null; });
    };
    var fromNetwork = fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) {
        if (!json) return fromDevice();
        idb.set(url, json, dataStore).catch(function () { /* kept by the service worker only */ });
        idb.set("latest", json, dataStore).catch(function () { /* idem */ });
        return json;
      }, fromDevice);
    dataReady = (navigator.onLine ? fromNetwork : fromDevice().then(function (json) { return json || fromNetwork; }))
      .then(function (json) { campaignData = json; return json; });
  }

  // As the server's search (campaign/search.py): every word must occur in the point's search text
  // (name, type, 包保 unit, address, pinyin in full and as initials); ranked by where the first word
  // starts: the name or its pinyin (^), another field (|), inside a word.
  function pointRank(p, words) {
    var text = p.search || ("^" + [p.name, p.address, p.type_name, p.unit_name].join(" |")).toLowerCase();
    for (var i = 0; i < words.length; i++) if (text.indexOf(words[i]) < 0) return -1;
    if (!words.length) return 0;
    return text.indexOf("^" + words[0]) >= 0 ? 0 : text.indexOf("|" + words[0]) >= 0 ? 1 : 2;
  }

  function pointRows(q, typeId) {
    if (!campaignData) return null;
    var words = (q || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
    var rows = [];
    campaignData.points.forEach(function (p) {
      if (typeId && String(p.type) !== String(typeId)) return;
      var rank = pointRank(p, words);
      if (rank >= 0) rows.push([rank, p]);
    });
    rows.sort(function (a, b) {
      return a[0] - b[0] || a[1].type_name.localeCompare(b[1].type_name, "zh-CN") || a[1].name.localeCompare(b[1].name, "zh-CN");
    });
    return rows.map(function (r) { return r[1]; });
  }

  function renderPoints(target, rows) {
    target.innerHTML = "";
    var list = el("div", {"class": "list-group", "data-testid": "point-results"});
    rows.slice(0, 50).forEach(function (p) {
      var b = el("button", {type: "button", "class": "list-group-item list-group-item-action py-3 text-start",
        "data-pick-point": String(p.id), "data-name": p.name, "data-unit": p.unit_name, "data-type": p.type_name});
      b.appendChild(el("strong", {}, p.name));
      b.appendChild(el("br"));
      b.appendChild(el("small", {"class": "text-muted"}, p.type_name + " · 包保单位 " + p.unit_name + (p.address ? " · " + p.address : "")));
      list.appendChild(b);
    });
    if (!rows.length) list.appendChild(el("div", {"class": "list-group-item text-muted"}, "没有找到点位"));
    if (rows.length > 50) list.appendChild(el("div", {"class": "list-group-item text-muted small"}, "共 " + rows.length + " 个，请继续输入以缩小范围"));
    target.appendChild(list);
  }

  function renderIndicators(target, q) {
    q = (q || "").trim().toLowerCase();
    // The chosen point's type's standards (the matrix) come first; with nothing typed, only those.
    var pointInput = document.getElementById("id_point");
    var point = pointInput && pointInput.value && campaignData.points.filter(function (p) { return String(p.id) === pointInput.value; })[0];
    var forPoint = point ? (campaignData.matrix[String(point.type)] || []).map(String) : [];
    var leaves = campaignData.indicators.filter(function (i) {
      if (i.level !== 3) return false;
      if (!q) return !forPoint.length || forPoint.indexOf(String(i.id)) >= 0;
      return i.code.indexOf(q) === 0 || i.name.toLowerCase().indexOf(q) >= 0 || (i.standard_text || "").toLowerCase().indexOf(q) >= 0;
    });
    leaves.sort(function (a, b) {
      return (forPoint.indexOf(String(a.id)) >= 0 ? 0 : 1) - (forPoint.indexOf(String(b.id)) >= 0 ? 0 : 1);
    });
    target.innerHTML = "";
    var list = el("div", {"class": "list-group", "data-testid": "indicator-results"});
    leaves.slice(0, 30).forEach(function (i) {
      var b = el("button", {type: "button", "class": "list-group-item list-group-item-action py-3 text-start",
        "data-pick-indicator": String(i.id), "data-label": i.code + " " + i.name});
      b.appendChild(el("strong", {}, i.code + " " + i.name));
      b.appendChild(el("span", {"class": "text-muted"}, "（分值 " + i.score + "）"));
      list.appendChild(b);
    });
    if (!leaves.length) list.appendChild(el("div", {"class": "list-group-item text-muted"}, "没有找到测评标准"));
    target.appendChild(list);
  }

  // htmx asks the server for search fragments; with no signal answer from the cached data instead.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (navigator.onLine) return;
    var target = event.detail.target;
    if (!target || ["point-results", "checklist-points", "indicator-results", "suggestion"].indexOf(target.id) < 0) return;
    event.preventDefault();
    if (target.id === "suggestion") {
      target.textContent = "离线：扣分留空则在发送时按规则计算。";
      return;
    }
    dataReady.then(function () {
      if (!campaignData) {
        target.textContent = "离线：本机没有点位和测评标准数据，请联网后打开一次本页。";
      } else if (target.id === "point-results") {
        var typeSel = document.getElementById("point-type");
        renderPoints(target, pointRows((document.getElementById("point-q") || {}).value, typeSel && typeSel.value));
      } else if (target.id === "checklist-points") {
        renderPoints(target, pointRows((event.detail.elt || {}).value, null));
      } else {
        var chosen = document.getElementById("id_indicator");
        var fromPick = event.detail.elt === target;  // the form's "pick" event, not typing
        if (fromPick && chosen && chosen.value) { target.innerHTML = ""; return; }
        var q = fromPick ? "" : (document.getElementById("indicator-q") || {}).value;
        renderIndicators(target, q);
        var only = target.querySelectorAll("[data-pick-indicator]");
        // As online: a point type with a single standard chooses it.
        if (fromPick && only.length === 1 && document.getElementById("id_point").value) only[0].click();
      }
    });
  });

  // --- a checklist for a point whose page was never opened online ---------------------------

  var CHOICES = [["pass", "合格", "btn-outline-success"], ["fail", "不合格", "btn-outline-danger"], ["na", "不适用", "btn-outline-secondary"]];

  function checklistCard(ind) {
    var card = el("div", {"class": "card mb-2 checklist-item", "data-indicator": ind.code});
    var body = el("div", {"class": "card-body py-2"});
    body.appendChild(el("div", {"class": "fw-bold"}, ind.code + " " + ind.name));
    if (ind.standard_text) body.appendChild(el("div", {"class": "small text-muted mb-2"}, ind.standard_text));
    var group = el("div", {"class": "btn-group w-100", role: "group"});
    CHOICES.forEach(function (c) {
      var id = "r" + ind.id + c[0];
      group.appendChild(el("input", {type: "radio", "class": "btn-check", name: "result_" + ind.id, id: id, value: c[0],
        autocomplete: "off", "data-result": c[0]}));
      group.appendChild(el("label", {"class": "btn btn-lg " + c[2], "for": id}, c[1]));
    });
    body.appendChild(group);
    var details = el("div", {"class": "fail-details mt-2 d-none"});
    details.appendChild(el("textarea", {"class": "form-control mb-2", name: "desc_" + ind.id, rows: "2", placeholder: "问题描述（留空则记为“不合格”）"}));
    details.appendChild(el("input", {"class": "form-control mb-2", type: "file", name: "photos_" + ind.id, accept: "image/*",
      capture: "environment", multiple: "", "data-shrink": "", "aria-label": "现场照片"}));
    details.appendChild(el("input", {"class": "form-control", type: "number", step: "0.01", min: "0", inputmode: "decimal",
      name: "points_" + ind.id, placeholder: "扣分（留空按规则）"}));
    body.appendChild(details);
    card.appendChild(body);
    return card;
  }

  // The service worker answers a checklist page it does not keep with a kept one of another point;
  // the page then lists this point's standards from the campaign data (point type × standard matrix).
  function checklistForThisPoint(form) {
    var m = location.pathname.match(/^\/inspections\/(\d+)\/checklist\/(\d+)\/$/);
    if (!m || form.dataset.offlineKind !== "checklist") return Promise.resolve();
    var sync = "/inspections/offline/sync/" + m[1] + "/checklist/" + m[2] + "/";
    if (form.dataset.offlineSync === sync) return Promise.resolve();
    form.dataset.offlineSync = sync;
    form.querySelectorAll(".checklist-item").forEach(function (c) { c.remove(); });
    document.querySelectorAll("main .alert").forEach(function (a) { a.remove(); });
    return dataReady.then(function () {
      var point = campaignData && campaignData.points.filter(function (p) { return String(p.id) === m[2]; })[0];
      var h1 = document.querySelector("main h1");
      var meta = h1 && h1.nextElementSibling;
      if (!point) {
        if (h1) h1.textContent = "清单检查";
        if (meta) meta.textContent = "离线：本机没有这个点位的数据，请联网后再打开。";
        form.classList.add("d-none");
        return;
      }
      form.dataset.offlineLabel = point.name;
      document.title = "清单检查 · " + point.name;
      if (h1) h1.textContent = "清单检查：" + point.name;
      if (meta) meta.textContent = point.type_name + " · 包保单位 " + point.unit_name + " · 离线：清单按本机保存的点位检查标准列出";
      var ids = (campaignData.matrix[String(point.type)] || []).map(String);
      var leaves = campaignData.indicators.filter(function (i) { return i.level === 3 && ids.indexOf(String(i.id)) >= 0; });
      var save = form.querySelector("[data-testid=save-checklist]");
      var anchor = save ? save.parentNode : null;
      if (!anchor) {
        anchor = el("div", {"class": "d-grid"});
        anchor.appendChild(el("button", {"class": "btn btn-danger btn-lg py-3", type: "submit", "data-testid": "save-checklist"}, "保存检查结果"));
        form.appendChild(anchor);
      }
      leaves.forEach(function (ind) { form.insertBefore(checklistCard(ind), anchor); });
      if (!leaves.length) {
        form.insertBefore(el("div", {"class": "alert alert-warning"}, "该点位类型尚未设置适用的测评标准。"), anchor);
        anchor.classList.add("d-none");
      }
    });
  }

  // --- start -------------------------------------------------------------------------------

  function start() {
    var form = document.querySelector("form[data-offline-sync]");
    if (form) {
      // A page from the cache carries the token of an earlier visit: every visit gets its own.
      freshToken(form);
      loadData(form.dataset.offlineData);
      if (!document.getElementById("offline-queue")) {
        var panel = el("div", {id: "offline-queue", "class": "card mb-3 d-none cw-queue", "data-testid": "offline-queue"});
        form.parentNode.insertBefore(panel, form);
      }
      if (!navigator.onLine) {
        // Messages in a cached copy of the page belong to an earlier visit.
        document.querySelectorAll("main > .alert-dismissible").forEach(function (a) { a.remove(); });
      }
      if (new URLSearchParams(location.search).get("queued")) {
        notice(form, "网络中断，没有发送成功：已保存在本机，联网后自动发送。", "warning");
        history.replaceState(null, "", location.pathname);
      }
      var key = new URLSearchParams(location.search).get("offline_item");
      checklistForThisPoint(form).then(function () { if (key) reopen(form, key); });
    }
    var inspectionPage = location.pathname.match(/^\/inspections\/(\d+)\/$/);
    if (!form && inspectionPage && document.getElementById("checklist-points")) {
      // The inspection page's point search for a checklist works with no signal too.
      loadData("/inspections/offline/data/" + inspectionPage[1] + ".json");
    }
    var status = document.getElementById("offline-queue-status");
    if (status && !document.getElementById("offline-queue")) {
      // The inspector's home: the queue can be seen, sent and cleaned up from there too.
      var homePanel = el("div", {id: "offline-queue", "class": "card mt-2 d-none cw-queue", "data-testid": "offline-queue"});
      status.parentNode.insertBefore(homePanel, status.nextSibling);
    }
    render().then(function () { if (navigator.onLine) syncAll(); });
  }

  window.addEventListener("online", function () { render(); syncAll(); });
  window.addEventListener("offline", render);
  setInterval(function () { if (navigator.onLine) syncAll(); }, 60000);
  document.addEventListener("submit", function (event) {
    // Logging out forgets the cached pages (the queue stays, kept per user).
    if (event.target.matches && event.target.matches("form[action$='/logout/']")) {
      if (window.caches) {
        caches.delete("cw-pages-v1");
        caches.delete("cw-data-v1");
      }
      idb.clear(dataStore).catch(function () {});
    }
  });
  window.cwOffline = {list: listItems, sync: syncAll, render: render, store: store, dataStore: dataStore, idb: idb};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
