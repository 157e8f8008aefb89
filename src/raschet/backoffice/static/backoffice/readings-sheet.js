// Keyboard-fast entry on the building readings sheet: Enter saves a meter's row (all its
// zones) and moves the cursor to the next input; the server's verdict shows inline.
(function () {
  "use strict";
  const table = document.getElementById("sheet");
  if (!table) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const inputs = Array.from(table.querySelectorAll("input.reading"));

  function rowsOf(meter) {
    return Array.from(table.querySelectorAll("tr.meter-" + meter));
  }

  async function save(meter) {
    const rows = rowsOf(meter);
    const body = new URLSearchParams();
    body.set("taken_on", table.dataset.takenOn);
    body.set("received_on", table.dataset.receivedOn);
    for (const row of rows) {
      const input = row.querySelector("input.reading");
      body.set(input.name, input.value);
    }
    const response = await fetch(rows[0].dataset.url, {
      method: "POST",
      headers: {"X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded"},
      body: body,
      credentials: "same-origin",
    });
    let data;
    try { data = await response.json(); } catch (e) { data = {ok: false, message: response.statusText}; }
    for (const row of rows) {
      row.classList.remove("ok", "flagged", "rollover", "error", "done");
      row.classList.add(data.ok ? (data.status === "flagged" || data.status === "rollover" ? data.status : "ok") : "error");
      if (data.ok) row.classList.add("done");
      row.querySelector("td.msg").textContent = data.message || "";
      const zone = row.querySelector("input.reading").name.replace("value_", "");
      if (data.volumes && zone in data.volumes) row.querySelector("td.vol").textContent = data.volumes[zone];
    }
    const done = new Set(Array.from(table.querySelectorAll("tr.done")).map(r => r.dataset.meter));
    const progress = document.getElementById("sheet-progress");
    if (progress) progress.textContent = done.size;
    return data.ok;
  }

  inputs.forEach(function (input, index) {
    input.addEventListener("keydown", async function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const row = input.closest("tr");
      const meter = row.dataset.meter;
      const siblings = rowsOf(meter).map(r => r.querySelector("input.reading"));
      const last = siblings[siblings.length - 1] === input;
      if (!last) { inputs[index + 1].focus(); return; }
      const ok = await save(meter);
      if (ok && inputs[index + 1]) { inputs[index + 1].focus(); inputs[index + 1].select(); }
      else if (!ok) { siblings[0].focus(); siblings[0].select(); }
    });
  });
})();
