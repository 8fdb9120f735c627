/// The dashboard served at `GET /`: one self-contained HTML page (no external assets), carried in the binary.
///
/// It polls `GET /arenas` for the table (fill bars of used / limit with the high-water mark, counters, a reset
/// button per arena), follows `GET /events?follow=1&format=ndjson` for the live tail, filters by name or class,
/// sorts by name or fill, and asks for the bearer token when a control answers 401 (kept in localStorage).
/// Rows are keyed by arena name and updated in place, so 1,000 arenas stay responsive.
enum DashboardPage {
    static let html: [UInt8] = Array(text.utf8)

    static let text = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>arena-server</title>
        <style>
          :root { --bg:#0f1419; --panel:#171d24; --line:#263040; --text:#d8dee9; --dim:#8a96a8; --accent:#4fb3d9;
                  --warn:#e5a84b; --bad:#e06c75; --ok:#8fc17a; }
          * { box-sizing: border-box; }
          body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
          header { display:flex; gap:16px; align-items:baseline; padding:12px 20px; border-bottom:1px solid var(--line); }
          header h1 { font-size:18px; margin:0; }
          header .summary { color:var(--dim); }
          main { display:grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 1fr); gap:16px; padding:16px 20px; }
          .controls { display:flex; gap:8px; margin-bottom:8px; align-items:center; flex-wrap:wrap; }
          input, select, button { background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:4px;
                  padding:5px 8px; font:inherit; }
          button { cursor:pointer; } button:hover { border-color:var(--accent); }
          button.danger:hover { border-color:var(--bad); color:var(--bad); }
          table { width:100%; border-collapse:collapse; background:var(--panel); }
          th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
          th { color:var(--dim); font-weight:600; position:sticky; top:0; background:var(--panel); }
          td.name, th.name, td.cls, th.cls { text-align:left; }
          td.fill { width:220px; }
          .bar { position:relative; height:14px; background:#0b0f13; border:1px solid var(--line); border-radius:3px; }
          .bar .used { position:absolute; left:0; top:0; bottom:0; background:var(--accent); border-radius:2px; }
          .bar .hwm { position:absolute; top:-2px; bottom:-2px; width:2px; background:var(--warn); }
          .bar.full .used { background:var(--bad); }
          .pct { color:var(--dim); font-size:12px; }
          .tablewrap { max-height:75vh; overflow:auto; border:1px solid var(--line); border-radius:4px; }
          #tail { background:var(--panel); border:1px solid var(--line); border-radius:4px; padding:8px; height:75vh;
                  overflow:auto; font:12px/1.35 ui-monospace, monospace; }
          #tail div { white-space:pre-wrap; overflow-wrap:anywhere; } #tail .failure { color:var(--bad); } #tail .reset, #tail .rewind { color:var(--warn); }
          #tail .note { color:var(--dim); }
          .status { color:var(--dim); font-size:12px; } .error { color:var(--bad); }
        </style>
        </head>
        <body>
        <header>
          <h1>arena-server</h1>
          <span class="summary" id="summary">loading...</span>
          <span class="status" id="status"></span>
        </header>
        <main>
          <section>
            <div class="controls">
              <input id="filter" placeholder="filter by name or class" size="28" autocomplete="off">
              <label>sort <select id="sort">
                <option value="name">name</option>
                <option value="fill">fill (highest first)</option>
                <option value="used">used bytes</option>
                <option value="allocations">allocations</option>
              </select></label>
              <button class="danger" id="reset-all">Reset all shown</button>
              <span class="status" id="shown"></span>
            </div>
            <div class="tablewrap">
            <table>
              <thead><tr><th class="name">arena</th><th class="cls">class</th><th>policy</th><th>fill (used / limit)</th>
                <th>used</th><th>capacity</th><th>high-water</th><th>allocations</th><th>failed</th><th>resets</th>
                <th>gen</th><th></th></tr></thead>
              <tbody id="rows"></tbody>
            </table>
            </div>
          </section>
          <section>
            <div class="controls"><strong>Live events</strong><span class="status" id="tail-status">connecting...</span></div>
            <div id="tail"></div>
          </section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const rows = new Map();       // arena name -> { tr, cells, data }
        let arenas = [];
        let token = localStorage.getItem("arena-server-token") || "";

        function bytes(n) {
          if (n < 1024) return n + " B";
          const units = ["KiB", "MiB", "GiB", "TiB"]; let v = n / 1024, i = 0;
          while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
          return (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
        }

        // Every request goes through here: it sends the stored token, and on 401 asks for one once and retries.
        async function authFetch(path, options = {}) {
          for (let attempt = 0; attempt < 2; attempt++) {
            const headers = Object.assign({}, options.headers || {}, token ? { "Authorization": "Bearer " + token } : {});
            const response = await fetch(path, Object.assign({}, options, { headers }));
            if (response.status !== 401 || attempt === 1) return response;
            const entered = prompt("This server needs a bearer token. Token:");
            if (entered === null) return response;
            token = entered.trim(); localStorage.setItem("arena-server-token", token);
          }
        }

        function control(method, path) { return authFetch(path, { method }); }

        function makeRow(name) {
          const tr = document.createElement("tr");
          tr.dataset.arena = name;
          tr.innerHTML = '<td class="name"></td><td class="cls"></td><td class="policy"></td>' +
            '<td class="fill"><div class="bar"><div class="used"></div><div class="hwm"></div></div><span class="pct"></span></td>' +
            '<td class="usedb"></td><td class="cap"></td><td class="hw"></td><td class="allocs"></td><td class="failed"></td>' +
            '<td class="resets"></td><td class="gen"></td><td><button class="danger">reset</button></td>';
          const q = (sel) => tr.querySelector(sel);
          const row = { tr, name: q(".name"), cls: q(".cls"), policy: q(".policy"), bar: q(".bar"), used: q(".bar .used"),
            hwm: q(".bar .hwm"), pct: q(".pct"), usedb: q(".usedb"), cap: q(".cap"), hw: q(".hw"), allocs: q(".allocs"),
            failed: q(".failed"), resets: q(".resets"), gen: q(".gen") };
          q("button").addEventListener("click", async () => {
            const response = await control("POST", "/arenas/" + encodeURIComponent(name) + "/reset");
            setStatus(response && response.ok ? "reset " + name : "reset failed: " + (response ? response.status : "?"));
            refresh();
          });
          row.name.textContent = name;
          return row;
        }

        function fillOf(a) { return a.stats.limit_bytes > 0 ? a.stats.used_bytes / a.stats.limit_bytes : 0; }

        function render() {
          const filter = $("filter").value.trim().toLowerCase();
          const sort = $("sort").value;
          const shown = arenas.filter(a => !filter || a.name.toLowerCase().includes(filter) || a.class.toLowerCase().includes(filter));
          const key = { name: null, fill: fillOf, used: a => a.stats.used_bytes, allocations: a => a.stats.lifetime_allocations }[sort];
          shown.sort((a, b) => key ? (key(b) - key(a)) || a.name.localeCompare(b.name) : a.name.localeCompare(b.name));
          const body = $("rows");
          const live = new Set(arenas.map(a => a.name));
          for (const [name, row] of rows) if (!live.has(name)) { row.tr.remove(); rows.delete(name); }
          const fragment = document.createDocumentFragment();
          for (const a of shown) {
            let row = rows.get(a.name);
            if (!row) { row = makeRow(a.name); rows.set(a.name, row); }
            const s = a.stats, fill = fillOf(a), high = s.limit_bytes > 0 ? s.high_water_bytes / s.limit_bytes : 0;
            row.cls.textContent = a.class;
            row.policy.textContent = a.policy;
            row.used.style.width = (fill * 100).toFixed(2) + "%";
            row.used.dataset.used = s.used_bytes; row.used.dataset.limit = s.limit_bytes;
            row.hwm.style.left = "calc(" + (Math.min(high, 1) * 100).toFixed(2) + "% - 1px)";
            row.bar.classList.toggle("full", fill >= 0.95);
            row.pct.textContent = (fill * 100).toFixed(1) + "%";
            row.usedb.textContent = bytes(s.used_bytes);
            row.cap.textContent = bytes(s.capacity_bytes);
            row.hw.textContent = bytes(s.high_water_bytes);
            row.allocs.textContent = s.lifetime_allocations;
            row.failed.textContent = s.failed_allocations;
            row.resets.textContent = s.resets;
            row.gen.textContent = s.generation;
            fragment.appendChild(row.tr);
          }
          for (const [name, row] of rows) if (!shown.some(a => a.name === name)) row.tr.remove();
          body.appendChild(fragment);
          $("shown").textContent = shown.length + " of " + arenas.length + " shown";
        }

        function setStatus(text, isError) {
          const status = $("status"); status.textContent = text; status.className = isError ? "status error" : "status";
        }

        async function refresh() {
          try {
            const response = await authFetch("/arenas");
            if (!response.ok) { setStatus("GET /arenas: " + response.status, true); return; }
            const data = await response.json();
            arenas = data.arenas;
            $("summary").textContent = data.count + " arenas, " + bytes(data.reserved_bytes) + " of " +
              bytes(data.max_total_bytes) + " reserved";
            render();
            document.body.dataset.loaded = "true";
          } catch (error) { setStatus("GET /arenas failed: " + error, true); }
        }

        const tail = $("tail");
        function addLine(text, kind) {
          const line = document.createElement("div");
          line.textContent = text; if (kind) line.className = kind;
          tail.appendChild(line);
          while (tail.childElementCount > 500) tail.firstElementChild.remove();
          tail.scrollTop = tail.scrollHeight;
        }

        async function follow() {
          const positions = {};   // arena -> last sequence number seen, the cursor to resume from
          const cursor = () => Object.entries(positions).map(([arena, seq]) => arena + ":" + seq).join(",");
          for (;;) {
            try {
              const since = cursor();
              const response = await authFetch("/events?follow=1&format=ndjson" + (since ? "&since=" + encodeURIComponent(since) : ""));
              if (!response.ok || !response.body) throw new Error("status " + response.status);
              $("tail-status").textContent = "following";
              const reader = response.body.getReader(); const decoder = new TextDecoder(); let buffered = "";
              for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                buffered += decoder.decode(value, { stream: true });
                let newline;
                while ((newline = buffered.indexOf("\n")) >= 0) {
                  const line = buffered.slice(0, newline); buffered = buffered.slice(newline + 1);
                  if (!line) continue;
                  const item = JSON.parse(line);
                  if (item.type === "event") { addLine(item.arena + ": " + item.text, item.kind); positions[item.arena] = item.seq; }
                  else if (item.type === "missed") { addLine("(" + item.arena + ": missed " + item.count + " events)", "note"); }
                }
              }
              $("tail-status").textContent = "stream ended, reconnecting...";
            } catch (error) { $("tail-status").textContent = "stream error (" + error.message + "), retrying..."; }
            await new Promise(resolve => setTimeout(resolve, 2000));
          }
        }

        $("filter").addEventListener("input", render);
        $("sort").addEventListener("change", render);
        $("reset-all").addEventListener("click", async () => {
          const names = [...$("rows").children].map(tr => tr.dataset.arena);
          if (!confirm("Reset " + names.length + " arenas?")) return;
          for (const name of names) await control("POST", "/arenas/" + encodeURIComponent(name) + "/reset");
          refresh();
        });
        refresh();
        setInterval(refresh, 2000);
        follow();
        </script>
        </body>
        </html>
        """#
}
