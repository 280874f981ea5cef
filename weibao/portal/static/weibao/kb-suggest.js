/* While a request is written, suggest matching articles and similar solved requests.
   Use: <form data-kb-suggest> with inputs named subject and description; results go into
   [data-kb-suggest-results] (created after the description when absent). Opening a suggestion and
   sending the form are reported to /api/v1/suggestions/events, so abandoned requests count as deflected. */
(function () {
  "use strict";
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function newToken() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "t" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function post(url, body, keepalive) {
    return fetch(url, {method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()}, body: JSON.stringify(body)})
      .catch(function () {});
  }
  function setup(form) {
    var subject = form.querySelector("[name=subject]");
    var description = form.querySelector("[name=description]");
    if (!subject && !description) return;
    var box = form.querySelector("[data-kb-suggest-results]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-kb-suggest-results", "");
      (description || subject).insertAdjacentElement("afterend", box);
    }
    box.className = "kb-suggest";
    box.hidden = true;
    var tokenInput = form.querySelector("[name=suggest_token]");
    if (!tokenInput) {
      tokenInput = document.createElement("input");
      tokenInput.type = "hidden"; tokenInput.name = "suggest_token";
      form.appendChild(tokenInput);
    }
    tokenInput.value = tokenInput.value || newToken();
    var timer = null, last = "", opened = false;
    function text() { return ((subject && subject.value) || "") + " " + ((description && description.value) || ""); }
    function section(title, hits) {
      if (!hits.length) return "";
      var items = hits.map(function (h) {
        return '<li><a href="' + h.url + '" target="_blank" rel="noopener" data-type="' + h.type + '" data-id="' + h.id + '">' +
          h.title_html + "</a>" + (h.number ? " <small>" + h.number + "</small>" : "") +
          '<br><small>' + h.snippet_html + "</small></li>";
      }).join("");
      return "<h4>" + title + "</h4><ul>" + items + "</ul>";
    }
    function refresh() {
      var q = text().trim();
      if (q.length < 4 || q === last) return;
      last = q;
      fetch("/api/v1/suggestions?limit=5&q=" + encodeURIComponent(q.slice(0, 1000)), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {articles: [], tickets: []}; })
        .then(function (data) {
          var html = section(box.dataset.articlesTitle || "可能有帮助的文章", data.articles || []) +
                     section(box.dataset.ticketsTitle || "已解决的类似请求", data.tickets || []);
          box.innerHTML = html;  /* titles and snippets arrive HTML-escaped, with <mark> only */
          box.hidden = !html;
        })
        .catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
    if (subject) subject.addEventListener("input", later);
    if (description) description.addEventListener("input", later);
    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[data-id]");
      if (!a) return;
      opened = true;
      post("/api/v1/suggestions/events", {token: tokenInput.value, event: "opened", type: a.dataset.type,
        id: a.dataset.id, q: text().trim().slice(0, 500)});
    });
    form.addEventListener("submit", function () {
      if (opened) post("/api/v1/suggestions/events", {token: tokenInput.value, event: "submitted"}, true);
    });
  }
  function init() { Array.prototype.forEach.call(document.querySelectorAll("form[data-kb-suggest]"), setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
