// Progressive enhancement of a page that waits for something to change (a payment's
// status): ask the server every few seconds, reload when the answer differs from what
// the page shows. Without JavaScript the page's own refresh button does the same.
// Used instead of <meta http-equiv="refresh">, which reloads under a screen reader's feet
// whether anything changed or not (WCAG 2.2.1).
(function () {
  var node = document.querySelector("[data-follow-url]");
  if (!node || !window.fetch) { return; }
  var url = node.getAttribute("data-follow-url");
  var shown = node.getAttribute("data-follow-state");
  var every = Number(node.getAttribute("data-follow-every-ms")) || 3000;
  function ask() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (body && body.state !== shown) { window.location.reload(); } else { window.setTimeout(ask, every); }
      })
      .catch(function () { window.setTimeout(ask, every * 2); });
  }
  window.setTimeout(ask, every);
})();
