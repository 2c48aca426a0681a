// Kiosk page behaviour: follow server events, count down, warn before logging out an idle citizen.
(function () {
  "use strict";
  var body = document.body;
  var version = parseInt(body.dataset.version || "0", 10);

  // Server-sent events: a newer session version means something happened; go where told, or reload.
  if (body.dataset.session === "1" && window.EventSource) {
    var es = new EventSource("/su-kien");
    // Once the citizen has pressed a button the page is leaving: an event must not reload it
    // and cancel that request.
    var leaving = false;
    var leave = function () { leaving = true; es.close(); };
    document.addEventListener("submit", leave, true);
    window.addEventListener("beforeunload", leave);
    es.onmessage = function (e) {
      if (leaving) { return; }
      var ev = JSON.parse(e.data);
      if (ev.kind === "logout") { window.location.href = "/"; return; }
      if (ev.go && ev.kind !== "state") { window.location.href = ev.go; return; }
      if (typeof ev.version === "number" && ev.version > version) { window.location.reload(); }
    };
  }

  // Login QR countdown: when it runs out, offer a fresh try (a new code from the app).
  var cd = document.querySelector("[data-countdown]");
  if (cd) {
    var left = parseInt(cd.dataset.countdown, 10);
    var out = cd.querySelector(".count");
    var timer = setInterval(function () {
      left -= 1;
      if (out) { out.textContent = String(Math.max(left, 0)); }
      if (left <= 0) {
        clearInterval(timer);
        cd.textContent = cd.dataset.expiredText;
        var retry = document.getElementById("retry");
        if (retry) { retry.hidden = false; }
      }
    }, 1000);
  }

  // Idle: after data-idle seconds without a touch, warn; after data-warn more, log out.
  if (body.dataset.session === "1") {
    var idle = parseInt(body.dataset.idle, 10) * 1000;
    var warn = parseInt(body.dataset.warn, 10);
    var overlay = document.getElementById("idle-warning");
    var count = document.getElementById("idle-count");
    var idleTimer = null, warnTimer = null, remaining = warn;
    var logout = function () {
      var f = document.createElement("form");
      f.method = "post"; f.action = "/dang-xuat";
      document.body.appendChild(f); f.submit();
    };
    var arm = function () {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () {
        remaining = warn; count.textContent = String(remaining); overlay.hidden = false;
        warnTimer = setInterval(function () {
          remaining -= 1; count.textContent = String(Math.max(remaining, 0));
          if (remaining <= 0) { clearInterval(warnTimer); logout(); }
        }, 1000);
      }, idle);
    };
    var lastPing = Date.now();
    var activity = function () {
      if (!overlay.hidden) { return; }
      arm();
      // Typing does not reach the server; tell it now and then that someone is still here.
      if (Date.now() - lastPing > 20000) { lastPing = Date.now(); fetch("/con-o-day", { method: "POST" }); }
    };
    ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, activity, true); });
    document.getElementById("idle-continue").addEventListener("click", function () {
      clearInterval(warnTimer); overlay.hidden = true; arm();
      fetch("/con-o-day", { method: "POST" });
    });
    arm();
  }
})();
