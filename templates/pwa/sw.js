/* 创文督查 service worker (served at /sw.js by inspections.offline_views.service_worker).
 * - static files: cache first (their URLs carry a content hash in production);
 * - the inspector's pages (home, inspection, 登记问题, 清单检查) and the campaign's offline data:
 *   network first, the last good copy when there is no signal (for the two forms also when the
 *   network takes over 10 s; the home and inspection pages wait, they must not show stale data);
 * - every other page: network, a short offline notice when there is none;
 * - the POST of 登记问题 or a checklist round that cannot reach the server (a weak signal while the
 *   phone thinks it is online) goes into the page's offline queue (IndexedDB, the same store as
 *   offline.js) instead of ending on a browser error page; every other POST is not touched. */
"use strict";
importScripts({{ idb_json|safe }});
var VERSION = "__CW_VERSION__";
var STATIC_CACHE = "cw-static-" + VERSION;
var PAGES_CACHE = "cw-pages-v1";
var DATA_CACHE = "cw-data-v1";
var ASSETS = {{ assets_json|safe }};
var OFFLINE_PAGE = {{ offline_page_json|safe }};
var FORM_TIMEOUT_MS = 10000;
var OFFLINE_PAGES = [  // [path, how long to wait for the network before the kept copy (0: no limit)]
  [/^\/$/, 0],
  [/^\/inspections\/\d+\/$/, 0],
  [/^\/inspections\/\d+\/findings\/new\/$/, FORM_TIMEOUT_MS],
  [/^\/inspections\/\d+\/checklist\/\d+\/$/, FORM_TIMEOUT_MS]
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("cw-static-") === 0 && k !== STATIC_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function isHtml(response) {
  return (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

// A checklist page never opened online: a kept checklist page of the same inspection (else of any),
// which offline.js turns into this point's checklist from the campaign data.
var CHECKLIST = /^\/inspections\/(\d+)\/checklist\/\d+\/$/;

function anyChecklistCopy(cache, pathname) {
  var m = pathname.match(CHECKLIST);
  if (!m) return Promise.resolve(undefined);
  return cache.keys().then(function (requests) {
    var paths = requests.map(function (r) { return new URL(r.url).pathname; }).filter(function (p) { return CHECKLIST.test(p); });
    var same = paths.filter(function (p) { return p.indexOf("/inspections/" + m[1] + "/checklist/") === 0; });
    var pick = same[0] || paths[0];
    return pick ? cache.match(self.location.origin + pick, {ignoreVary: true}) : undefined;
  });
}

// Network first: a good answer refreshes the cached copy; no answer (or a slow one) gives the copy.
// The copy is kept per user by forgetting it at logout (offline.js), so Vary: Cookie is ignored.
function networkFirst(request, cacheName, key, acceptable, timeoutMs) {
  return caches.open(cacheName).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (acceptable(response)) cache.put(key, response.clone());
      return response;
    });
    var fallback = function () {
      return cache.match(key, {ignoreVary: true}).then(function (hit) {
        return hit || anyChecklistCopy(cache, new URL(request.url).pathname).then(function (copy) { return copy || network; });
      });
    };
    if (!timeoutMs) return network.catch(fallback);
    var timer = new Promise(function (resolve) { setTimeout(resolve, timeoutMs); }).then(function () {
      return cache.match(key, {ignoreVary: true}).then(function (hit) { return hit || network; });
    });
    return Promise.race([network, timer]).catch(fallback);
  });
}

var FORM_POSTS = [
  [/^\/inspections\/(\d+)\/findings\/new\/$/, function (m) { return ["finding", "/inspections/offline/sync/" + m[1] + "/finding/"]; }],
  [/^\/inspections\/(\d+)\/checklist\/(\d+)\/$/, function (m) { return ["checklist", "/inspections/offline/sync/" + m[1] + "/checklist/" + m[2] + "/"]; }]
];

// Post the form; with no answer at all keep it in the queue (offline.js put _cw_* fields in it) and
// show the form again, which says so. A page without those fields gets the browser's own error.
function postOrQueue(request, url, kind, syncUrl) {
  var copy = request.clone();
  return fetch(request).catch(function (error) {
    return copy.formData().then(function (data) {
      var meta = {}, fields = [], files = [];
      data.forEach(function (value, name) {
        if (name.indexOf("_cw_") === 0) { meta[name.slice(4)] = value; return; }
        if (name === "csrfmiddlewaretoken" || name === "next") return;
        if (typeof value === "string") { fields.push([name, value]); return; }
        if (value.size || value.name) files.push({name: name, filename: value.name, type: value.type, blob: value});
      });
      if (!meta.user || !meta.key) throw error;
      var item = {
        kind: kind, url: syncUrl, formUrl: url.pathname, user: meta.user, title: meta.title || "", detail: meta.detail || "",
        display: JSON.parse(meta.display || "{}"), fields: fields, files: files, created: new Date().toISOString(), error: ""
      };
      return idbKeyval.set(meta.key, item, idbKeyval.createStore("cw-offline", "queue")).then(function () {
        return Response.redirect(url.pathname + "?queued=1", 303);
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.mode === "navigate" && url.pathname === "/logout/") {
    // Logging out forgets the kept pages and campaign data (the queue stays, kept per user).
    event.respondWith(Promise.all([
      caches.delete(PAGES_CACHE), caches.delete(DATA_CACHE),
      idbKeyval.clear(idbKeyval.createStore("cw-offline-data", "data"))
    ]).catch(function () {}).then(function () { return fetch(request); }));
    return;
  }
  if (request.method === "POST" && request.mode === "navigate") {
    for (var i = 0; i < FORM_POSTS.length; i++) {
      var m = url.pathname.match(FORM_POSTS[i][0]);
      if (m) {
        var target = FORM_POSTS[i][1](m);
        event.respondWith(postOrQueue(request, url, target[0], target[1]));
        return;
      }
    }
    return;
  }
  if (request.method !== "GET") return;

  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request, {ignoreSearch: true}).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }

  if (url.pathname.indexOf("/inspections/offline/data/") === 0) {
    event.respondWith(networkFirst(request, DATA_CACHE, url.pathname, function (r) { return r.ok && !r.redirected; }, 0));
    return;
  }

  if (request.mode === "navigate") {
    var keep = OFFLINE_PAGES.filter(function (p) { return p[0].test(url.pathname); })[0];
    if (keep) {
      // One copy per page, whatever its query (?point=…): the page fills the rest itself.
      event.respondWith(networkFirst(request, PAGES_CACHE, url.origin + url.pathname, function (r) {
        return r.ok && !r.redirected && isHtml(r);
      }, keep[1]).catch(function () { return caches.match(OFFLINE_PAGE); }));
    } else {
      // Other pages go to the network as they are; with no signal, a short notice.
      event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE_PAGE); }));
    }
  }
});
