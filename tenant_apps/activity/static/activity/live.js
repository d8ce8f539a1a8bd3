// The live channel of a signed-in page: the unread badge and the feed update when the
// server pushes a nudge over /ws/live; without a live connection, the page polls.
// (A static file, never inline: pages carry a Content-Security-Policy.)
(function () {
  "use strict";
  var config = document.getElementById("live-config");
  var badge = document.getElementById("unread-badge");
  if (!config || !badge || !window.fetch) { return; }
  var pollSeconds = parseInt(config.getAttribute("data-poll-seconds"), 10) || 20;
  var livePort = config.getAttribute("data-live-port") || "";
  var socket = null;
  var live = false;
  var retry = 1;
  var pollTimer = null;

  function setBadge(count) {
    badge.textContent = count > 0 ? String(count) : "";
    badge.setAttribute("data-count", String(count));
    badge.hidden = !(count > 0);
  }

  function refreshUnread() {
    return fetch("/api/v1/notifications/unread", {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && typeof data.unread === "number") { setBadge(data.unread); }
    }).catch(function () {});
  }

  function refreshFeed() {
    var feed = document.getElementById("activity-feed");
    if (!feed) { return; }
    fetch(feed.getAttribute("data-src"), { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null) { feed.innerHTML = html; }
    }).catch(function () {});
  }

  function poll() {
    if (!live) { refreshUnread(); refreshFeed(); }
  }

  function startPolling() {
    if (pollTimer === null) { pollTimer = window.setInterval(poll, pollSeconds * 1000); }
  }

  function connect() {
    if (!window.WebSocket) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var port = livePort ? ":" + livePort : (window.location.port ? ":" + window.location.port : "");
    try {
      socket = new WebSocket(scheme + window.location.hostname + port + "/ws/live");
    } catch (error) {
      startPolling();
      return;
    }
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.kind === "hello") {
        live = true;
        retry = 1;
        document.documentElement.setAttribute("data-live", "connected");
        refreshUnread();  // whatever happened while the page was not connected
      } else if (message.kind === "notifications") {
        refreshUnread();
        refreshFeed();
      } else if (message.kind === "feed") {
        refreshFeed();
      }
    };
    socket.onclose = function () {
      live = false;
      document.documentElement.setAttribute("data-live", "polling");
      startPolling();
      retry = Math.min(retry * 2, 60);
      window.setTimeout(connect, retry * 1000);
    };
  }

  startPolling();
  connect();
  // Proxies close connections that stay silent; a ping now and then keeps them open.
  window.setInterval(function () {
    if (live && socket && socket.readyState === 1) { socket.send("{\"kind\":\"ping\"}"); }
  }, 45000);
}());
