// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var target = ev.target;
    if (target && target.matches && target.matches("[data-print]")) { window.print(); }
  });
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el || !el.matches) { return; }
    if (el.matches("[data-select-all]")) {
      var name = el.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) { box.checked = el.checked; });
    }
    if (el.matches("[data-canned-target]")) {
      var area = document.getElementById(el.getAttribute("data-canned-target"));
      if (area && el.value) {
        area.value = area.value ? area.value + "\n\n" + el.value : el.value;
        area.focus();
      }
      el.value = "";
    }
  });
  // Phone intake: look the caller up as the number or name is typed.
  var lookup = document.querySelector("[data-caller-lookup]");
  if (lookup) {
    var url = lookup.getAttribute("data-caller-lookup");
    var out = document.getElementById("caller-results");
    var timer = null;
    lookup.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = lookup.value.trim();
        if (q.length < 2) { out.innerHTML = ""; return; }
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) { out.innerHTML = html; });
      }, 200);
    });
  }
})();
