// connsim playground: reads the controls into the URL query, asks
// /api/sim for both models' results and draws them. No libraries.
"use strict";
(function () {
  const form = document.getElementById("controls");
  const results = document.getElementById("results");
  const errorsBox = document.getElementById("errors");
  const status = document.getElementById("status");
  const tmpl = document.getElementById("model-tmpl");
  const names = ["model1", "model2", "html", "objects", "rtt", "bandwidth", "loss", "queue", "tls", "http", "cc", "seed"];
  let seq = 0;
  let lastDone = null; // resolves when the latest request has been drawn

  function query() {
    const q = new URLSearchParams();
    for (const n of names) q.set(n, form.elements[n].value.trim());
    return q.toString();
  }

  function showErrors(errs) {
    errorsBox.textContent = "";
    for (const n of names) form.elements[n].classList.remove("bad");
    for (const e of errs || []) {
      const d = document.createElement("div");
      const where = e.param ? e.param + (e.key && e.key !== e.param ? " (" + e.key + ")" : "") + ": " : (e.key ? e.key + ": " : "");
      d.textContent = where + e.msg;
      d.dataset.param = e.param || "";
      errorsBox.appendChild(d);
      if (e.param && form.elements[e.param]) form.elements[e.param].classList.add("bad");
    }
  }

  function draw(models) {
    results.textContent = "";
    for (const m of models) {
      const s = tmpl.content.firstElementChild.cloneNode(true);
      s.querySelector("h2").textContent = m.label;
      s.querySelector(".err").textContent = m.err ? "The run failed: " + m.err : "";
      const t = s.querySelector(".metrics");
      for (const [k, v, words] of m.metrics || []) {
        const tr = t.insertRow();
        tr.insertCell().textContent = k;
        tr.insertCell().textContent = v;
        tr.insertCell().textContent = words || "";
      }
      for (const f of ["waterfall", "cwnd", "ladder"]) {
        if (m[f]) s.querySelector("img." + f).src = m[f];
      }
      results.appendChild(s);
    }
  }

  function update() {
    const q = query();
    history.replaceState(null, "", "?" + q + location.hash);
    const my = ++seq;
    status.textContent = "running…";
    lastDone = fetch("/api/sim?" + q).then(async (r) => {
      let body;
      try { body = await r.json(); } catch (e) { body = { errors: [{ msg: "HTTP " + r.status }] }; }
      if (my !== seq) return r.status;
      showErrors(body.errors);
      if (r.ok) {
        draw(body.models || []);
        status.textContent = "ran in " + body.took_ms + " ms";
      } else {
        status.textContent = r.status === 413 ? "refused: too much work for one request" : "not run: fix the value marked in red";
      }
      return r.status;
    }).catch((e) => {
      if (my === seq) { showErrors([{ msg: "the playground server did not answer: " + e }]); status.textContent = "no answer"; }
      return 0;
    });
    return lastDone;
  }

  form.addEventListener("change", (ev) => {
    if (ev.target.id === "experiment") {
      if (ev.target.value) location.href = "/open?experiment=" + encodeURIComponent(ev.target.value);
      return;
    }
    if (ev.target.id === "pagefrom") {
      const [html, objects] = ev.target.value.split("|");
      if (ev.target.value) { form.elements.html.value = html; form.elements.objects.value = objects; }
    }
    update();
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); update(); });

  // #selftest: drive the controls as a student would and write what
  // happened into #selftest, for a headless-browser test.
  async function selftest() {
    const out = [];
    const wf = () => { const i = results.querySelector("img.waterfall"); return i ? i.getAttribute("src") || "" : ""; };
    const metric = (name) => {
      for (const tr of results.querySelectorAll(".metrics tr")) if (tr.cells[0].textContent === name) return tr.cells[1].textContent;
      return "";
    };
    const set = async (name, value) => {
      const el = form.elements[name];
      el.value = value;
      el.dispatchEvent(new Event("change", { bubbles: true }));
      return lastDone;
    };
    try {
      const st0 = await lastDone;
      const w0 = wf(), p0 = metric("plt_ms");
      out.push("initial=" + st0 + " models=" + results.querySelectorAll(".model").length + " plt=" + p0 +
        " ladder=" + (results.querySelector("img.ladder[src^='data:image/svg+xml']") ? "svg" : "none"));
      const st1 = await set("rtt", "300ms");
      const w1 = wf(), p1 = metric("plt_ms");
      out.push("rtt300=" + st1 + " waterfall=" + (w1 && w1 !== w0 ? "changed" : "same") + " plt=" + p1 +
        " url=" + (location.search.includes("rtt=300ms") ? "yes" : "no"));
      const st2 = await set("rtt", "fast");
      out.push("bad=" + st2 + " error=[" + errorsBox.textContent + "] marked=" + form.elements.rtt.classList.contains("bad"));
      await set("rtt", "100ms");
      const t0 = performance.now();
      const st3 = await set("objects", "10000x10MB");
      out.push("big=" + st3 + " in=" + Math.round(performance.now() - t0) + "ms error=[" + errorsBox.textContent + "]");
    } catch (e) {
      out.push("failed: " + e);
    }
    document.getElementById("selftest").textContent = out.join("\n");
  }

  update();
  if (location.hash === "#selftest") selftest();
})();
