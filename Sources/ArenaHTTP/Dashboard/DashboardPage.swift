/// The dashboard served at `GET /`: one self-contained HTML page (no external assets), carried in the binary.
///
/// It polls `GET /arenas` every 2 s for the table (fill bars of used / limit with the high-water mark, counters,
/// a reset button per arena that asks before it resets) and keeps the last 10 minutes of those samples in the
/// page: fill and allocation rate per arena, drawn as sparklines. It follows
/// `GET /events?follow=1&format=ndjson` for the live tail: each line with its event's local time, a filter, and
/// a pause that buffers what arrives until resume. The table filters by name or class and sorts by name, fill,
/// used bytes or allocations; every request sends the bearer token and asks for one on 401 (kept in
/// localStorage). Rows are keyed by arena name and updated in place, so 1,000 arenas stay responsive; below
/// 1,500 px the tail goes under the table and below 1,000 px the least needed columns go, so 900 px fit.
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
          header { display:flex; flex-wrap:wrap; gap:4px 16px; align-items:baseline; padding:12px 20px;
                   border-bottom:1px solid var(--line); }
          header h1 { font-size:18px; margin:0; }
          header .summary { color:var(--dim); }
          main { display:grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 1fr); gap:16px; padding:16px 20px; }
          section { min-width:0; }
          .controls { display:flex; gap:8px; margin-bottom:8px; align-items:center; flex-wrap:wrap; }
          input, select, button { background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:4px;
                  padding:5px 8px; font:inherit; }
          button { cursor:pointer; } button:hover { border-color:var(--accent); }
          button.danger:hover { border-color:var(--bad); color:var(--bad); }
          button.on { border-color:var(--warn); color:var(--warn); }
          table { width:100%; border-collapse:collapse; background:var(--panel); }
          th, td { padding:5px 7px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
          th { color:var(--dim); font-weight:600; position:sticky; top:0; background:var(--panel); z-index:1; }
          td.name, th.name, td.cls, th.cls, td.history, th.history { text-align:left; }
          td.name { max-width:180px; overflow:hidden; text-overflow:ellipsis; }
          td.fill { width:170px; }
          td.history { width:150px; }
          .bar { position:relative; height:14px; background:#0b0f13; border:1px solid var(--line); border-radius:3px; }
          .bar .used { position:absolute; left:0; top:0; bottom:0; background:var(--accent); border-radius:2px; }
          .bar .hwm { position:absolute; top:-2px; bottom:-2px; width:2px; background:var(--warn); }
          .bar.full .used { background:var(--bad); }
          .pct, .rate { color:var(--dim); font-size:12px; }
          .spark { display:inline-block; vertical-align:middle; width:100px; height:28px; }
          .rate { display:inline-block; vertical-align:middle; margin-left:4px; }
          .legend { color:var(--dim); font-size:12px; font-weight:400; }
          .legend .f { color:var(--accent); } .legend .r { color:var(--ok); }
          .tablewrap { max-height:75vh; overflow:auto; border:1px solid var(--line); border-radius:4px; }
          #tail { background:var(--panel); border:1px solid var(--line); border-radius:4px; padding:8px; height:75vh;
                  overflow:auto; font:12px/1.35 ui-monospace, monospace; }
          #tail div { white-space:pre-wrap; overflow-wrap:anywhere; }
          #tail .time { color:var(--dim); }
          #tail .failure { color:var(--bad); } #tail .reset, #tail .rewind { color:var(--warn); }
          #tail .note { color:var(--dim); }
          .status { color:var(--dim); font-size:12px; } .error { color:var(--bad); } .paused { color:var(--warn); }
          /* Narrower than a table beside a tail: the tail goes under the table. */
          @media (max-width: 1499px) {
            main { grid-template-columns: minmax(0, 1fr); }
            .tablewrap { max-height:60vh; }
            #tail { height:40vh; }
          }
          /* About 900 px: the columns an operator needs least go (policy, capacity, generation), cells get tighter. */
          @media (max-width: 999px) {
            main { padding:12px 10px; }
            header { padding:10px; }
            .opt { display:none; }
            th, td { padding:4px 4px; }
            td.name { max-width:130px; }
            td.fill { width:110px; }
            td.history { width:auto; }
          }
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
              <input id="filter" placeholder="filter by name or class" size="24" autocomplete="off">
              <label>sort <select id="sort">
                <option value="name">name</option>
                <option value="fill">fill (highest first)</option>
                <option value="used">used bytes</option>
                <option value="allocations">allocations</option>
              </select></label>
              <button class="danger" id="reset-all">Reset all shown</button>
              <span class="status" id="shown"></span>
            </div>
            <div class="tablewrap" id="tablewrap">
            <table>
              <thead><tr><th class="name">arena</th><th class="cls">class</th><th class="opt">policy</th>
                <th title="used / limit; the orange mark is the high-water mark">fill<span class="opt"> (used /
                  limit)</span></th>
                <th class="history" title="kept in this page: a sample every 2 s, the last 10 minutes">history<br>
                  <span class="legend"><span class="f">fill</span> / <span class="r">allocs/s</span></span></th>
                <th>used</th><th class="opt">capacity</th><th>high-water</th><th>allocs</th><th>failed</th>
                <th>resets</th>
                <th class="opt">gen</th><th></th></tr></thead>
              <tbody id="rows"></tbody>
            </table>
            </div>
          </section>
          <section>
            <div class="controls">
              <strong>Live events</strong>
              <input id="tail-filter" placeholder="filter: arena or text" size="18" autocomplete="off">
              <button id="pause" title="stop appending; what arrives meanwhile is kept, shown on resume">Pause</button>
              <span class="status paused" id="tail-paused"></span>
              <span class="status" id="tail-status">connecting...</span>
            </div>
            <div id="tail"></div>
          </section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const rows = new Map();       // arena name -> { tr, cells..., data }
        let arenas = [];
        let token = localStorage.getItem("arena-server-token") || "";

        function bytes(n) {
          if (n < 1024) return n + " B";
          const units = ["KiB", "MiB", "GiB", "TiB"]; let v = n / 1024, i = 0;
          while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
          return (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
        }

        function perSecond(rate) {
          if (rate === null) return "";
          if (rate >= 9999.5) return (rate / 1000).toFixed(rate >= 99950 ? 0 : 1) + "k/s";
          return (rate >= 10 || rate === 0 ? rate.toFixed(0) : rate.toFixed(1)) + "/s";
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

        // ---- History: one sample per arena at every refresh, kept in the page for the last 10 minutes.
        const HISTORY_MS = 10 * 60 * 1000;
        const histories = new Map();  // arena -> { created, t: [ms], fill: [0...1], rate: [allocations/s or null] }

        function recordSamples(list, now) {
          const live = new Set();
          for (const a of list) {
            live.add(a.name);
            let h = histories.get(a.name);
            // A deleted and re-created arena starts its counters again, so its history too.
            if (!h || h.created !== a.created_at) {
              h = { created: a.created_at, t: [], fill: [], rate: [], allocations: 0 };
              histories.set(a.name, h);
            }
            const allocations = a.stats.lifetime_allocations, last = h.t.length - 1;
            const rate = last < 0 || now <= h.t[last] ? null
              : Math.max(0, allocations - h.allocations) * 1000 / (now - h.t[last]);
            h.t.push(now); h.fill.push(fillOf(a)); h.rate.push(rate); h.allocations = allocations;
            let old = 0;
            while (old < h.t.length - 1 && h.t[old] < now - HISTORY_MS) old++;
            if (old) { h.t.splice(0, old); h.fill.splice(0, old); h.rate.splice(0, old); }
          }
          for (const name of histories.keys()) if (!live.has(name)) histories.delete(name);
        }

        const SPARK_W = 100, SPARK_H = 28;
        // Fill (0-100 %) as an area in the upper half, the allocation rate (scaled to its peak) as a line in the lower
        // half; x spans the samples kept (the tooltip says how long), newest on the right.
        function drawHistory(row, h, now) {
          const canvas = row.spark, ratio = window.devicePixelRatio || 1;
          if (canvas.width !== Math.round(SPARK_W * ratio)) {
            canvas.width = Math.round(SPARK_W * ratio); canvas.height = Math.round(SPARK_H * ratio);
          }
          const g = canvas.getContext("2d");
          g.setTransform(ratio, 0, 0, ratio, 0, 0);
          g.clearRect(0, 0, SPARK_W, SPARK_H);
          const n = h.t.length;
          canvas.dataset.samples = n;
          if (n === 0) return;
          const span = Math.max(now - h.t[0], 1);
          const x = (t) => SPARK_W - 1.5 - (now - t) / span * (SPARK_W - 3);
          const fillY = (f) => 12.5 - Math.min(f, 1) * 11;
          g.lineWidth = 1.5;
          g.fillStyle = "rgba(79,179,217,0.3)"; g.strokeStyle = "#4fb3d9";
          g.beginPath(); g.moveTo(x(h.t[0]), 13);
          for (let i = 0; i < n; i++) g.lineTo(x(h.t[i]), fillY(h.fill[i]));
          g.lineTo(x(h.t[n - 1]), 13); g.closePath(); g.fill();
          g.beginPath();
          for (let i = 0; i < n; i++) (i ? g.lineTo : g.moveTo).call(g, x(h.t[i]), fillY(h.fill[i]));
          if (n === 1) g.lineTo(x(h.t[0]) - 2, fillY(h.fill[0]));
          g.stroke();
          let peak = 0, peakFill = 0, rates = 0;
          for (let i = 0; i < n; i++) {
            peakFill = Math.max(peakFill, h.fill[i]);
            if (h.rate[i] !== null) { rates++; peak = Math.max(peak, h.rate[i]); }
          }
          g.strokeStyle = "#8fc17a"; g.beginPath();
          let first = true;
          for (let i = 0; i < n; i++) {
            if (h.rate[i] === null) continue;
            const y = SPARK_H - 1.5 - (peak > 0 ? h.rate[i] / peak : 0) * 11;
            if (!first) { g.lineTo(x(h.t[i]), y); continue; }
            g.moveTo(x(h.t[i]), y); if (rates === 1) g.lineTo(x(h.t[i]) - 2, y);
            first = false;
          }
          g.stroke();
          const latest = h.rate[n - 1];
          canvas.dataset.rate = latest === null ? "" : latest.toFixed(3);
          row.rate.textContent = perSecond(latest);
          canvas.title = "last " + Math.max(1, Math.round((now - h.t[0]) / 60000)) + " min, " + n + " samples: " +
            "fill now " + (h.fill[n - 1] * 100).toFixed(1) + "%, peak " + (peakFill * 100).toFixed(1) + "%; " +
            "allocations " +
            (latest === null ? "-" : perSecond(latest)) + " now, peak " + perSecond(peak);
        }

        // ---- The table.
        function makeRow(name) {
          const tr = document.createElement("tr");
          tr.dataset.arena = name;
          tr.innerHTML = '<td class="name"></td><td class="cls"></td><td class="policy opt"></td>' +
            '<td class="fill"><div class="bar"><div class="used"></div><div class="hwm"></div></div>' +
            '<span class="pct"></span><span class="pct of opt"></span></td>' +
            '<td class="history"><canvas class="spark"></canvas><span class="rate"></span></td>' +
            '<td class="usedb"></td><td class="cap opt"></td><td class="hw"></td><td class="allocs"></td>' +
            '<td class="failed"></td>' +
            '<td class="resets"></td><td class="gen opt"></td><td><button class="danger">reset</button></td>';
          const q = (sel) => tr.querySelector(sel);
          const row = { tr, data: null, name: q(".name"), cls: q(".cls"), policy: q(".policy"), bar: q(".bar"),
            used: q(".bar .used"), hwm: q(".bar .hwm"), pct: q(".pct"), of: q(".of"), spark: q(".spark"),
            rate: q(".rate"),
            usedb: q(".usedb"), cap: q(".cap"), hw: q(".hw"), allocs: q(".allocs"), failed: q(".failed"),
            resets: q(".resets"), gen: q(".gen") };
          q("button").addEventListener("click", async () => {
            const s = row.data && row.data.stats;
            const detail = s ? "\n\nIt releases the bytes in use (" + bytes(s.used_bytes) + " at the last refresh) " +
              "and starts generation " + (s.generation + 1) + "; blobs and checkpoints of this generation stop working."
              : "";
            // Cancelled: nothing is sent.
            if (!confirm("Reset arena \"" + name + "\"?" + detail)) {
              setStatus("reset of " + name + " cancelled"); return;
            }
            const response = await control("POST", "/arenas/" + encodeURIComponent(name) + "/reset");
            setStatus(response && response.ok ? "reset " + name : "reset failed: " + (response ? response.status : "?"),
              !(response && response.ok));
            refresh();
          });
          row.name.textContent = name; row.name.title = name;
          return row;
        }

        function fillOf(a) { return a.stats.limit_bytes > 0 ? a.stats.used_bytes / a.stats.limit_bytes : 0; }

        function render(now) {
          const filter = $("filter").value.trim().toLowerCase();
          const sort = $("sort").value;
          const shown = arenas.filter(a => !filter || a.name.toLowerCase().includes(filter) || a.class.toLowerCase().includes(filter));
          const key = { name: null, fill: fillOf, used: a => a.stats.used_bytes, allocations: a => a.stats.lifetime_allocations }[sort];
          shown.sort((a, b) => key ? (key(b) - key(a)) || a.name.localeCompare(b.name) : a.name.localeCompare(b.name));
          const body = $("rows");
          const live = new Set(arenas.map(a => a.name));
          for (const [name, row] of rows) if (!live.has(name)) { row.tr.remove(); rows.delete(name); }
          const visible = new Set();
          const fragment = document.createDocumentFragment();
          for (const a of shown) {
            let row = rows.get(a.name);
            if (!row) { row = makeRow(a.name); rows.set(a.name, row); }
            row.data = a; visible.add(a.name);
            const s = a.stats, fill = fillOf(a), high = s.limit_bytes > 0 ? s.high_water_bytes / s.limit_bytes : 0;
            row.cls.textContent = a.class;
            row.policy.textContent = a.policy;
            row.used.style.width = (fill * 100).toFixed(2) + "%";
            row.used.dataset.used = s.used_bytes; row.used.dataset.limit = s.limit_bytes;
            row.hwm.style.left = "calc(" + (Math.min(high, 1) * 100).toFixed(2) + "% - 1px)";
            row.bar.classList.toggle("full", fill >= 0.95);
            row.pct.textContent = (fill * 100).toFixed(1) + "%"; row.of.textContent = " of " + bytes(s.limit_bytes);
            row.usedb.textContent = bytes(s.used_bytes);
            row.cap.textContent = bytes(s.capacity_bytes);
            row.hw.textContent = bytes(s.high_water_bytes);
            row.allocs.textContent = s.lifetime_allocations;
            row.failed.textContent = s.failed_allocations;
            row.resets.textContent = s.resets;
            row.gen.textContent = s.generation;
            const h = histories.get(a.name);
            if (h) drawHistory(row, h, now);
            fragment.appendChild(row.tr);
          }
          for (const [name, row] of rows) if (!visible.has(name)) row.tr.remove();
          body.appendChild(fragment);
          $("shown").textContent = shown.length + " of " + arenas.length + " shown";
        }

        function setStatus(text, isError) {
          const status = $("status"); status.textContent = text; status.className = isError ? "status error" : "status";
        }

        let lastSample = 0;
        async function refresh() {
          try {
            const response = await authFetch("/arenas");
            if (!response.ok) { setStatus("GET /arenas: " + response.status, true); return; }
            const data = await response.json();
            arenas = data.arenas;
            $("summary").textContent = data.count + " arenas, " + bytes(data.reserved_bytes) + " of " +
              bytes(data.max_total_bytes) + " reserved";
            lastSample = Date.now();
            recordSamples(arenas, lastSample);
            render(lastSample);
            document.body.dataset.loaded = "true";
          } catch (error) { setStatus("GET /arenas failed: " + error, true); }
        }

        // ---- The live tail: the last TAIL_KEPT events are kept; the last TAIL_SHOWN that match the filter are shown.
        const TAIL_KEPT = 2000, TAIL_SHOWN = 500;
        const tail = $("tail");
        const tailEvents = [];        // { n, time (ms since 1970), arena, text, kind, search }
        let received = 0;             // events received so far; each entry's n is its number
        let pausedAt = null;          // while paused, the number of the first event that is held back
        let tailFilter = "";

        function clock(ms) {
          const d = new Date(ms), two = (v) => String(v).padStart(2, "0");
          return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." +
            String(d.getMilliseconds()).padStart(3, "0");
        }

        function lineElement(entry) {
          const line = document.createElement("div");
          line.className = "line" + (entry.kind ? " " + entry.kind : "");
          line.dataset.arena = entry.arena;
          const time = document.createElement("span");
          time.className = "time"; time.textContent = clock(entry.time);
          line.append(time, " " + entry.text);
          return line;
        }

        function showLines(entries, replace) {
          const atBottom = replace || tail.scrollTop + tail.clientHeight >= tail.scrollHeight - 24;
          if (replace) tail.replaceChildren();
          const fragment = document.createDocumentFragment();
          for (const entry of entries) fragment.appendChild(lineElement(entry));
          tail.appendChild(fragment);
          while (tail.childElementCount > TAIL_SHOWN) tail.firstElementChild.remove();
          // Reading older lines (scrolled up) is not interrupted; at the bottom the tail follows.
          if (atBottom) tail.scrollTop = tail.scrollHeight;
        }

        // The kept events up to the pause (all when not paused) that match the filter, the newest TAIL_SHOWN.
        function rebuildTail() {
          const before = pausedAt === null ? Infinity : pausedAt, shown = [];
          for (let i = tailEvents.length - 1; i >= 0 && shown.length < TAIL_SHOWN; i--) {
            const entry = tailEvents[i];
            if (entry.n < before && (!tailFilter || entry.search.includes(tailFilter))) shown.push(entry);
          }
          showLines(shown.reverse(), true);
        }

        function showPaused() {
          const pausedStatus = $("tail-paused");
          if (pausedAt === null) { pausedStatus.textContent = ""; delete pausedStatus.dataset.count; return; }
          const arrived = received - pausedAt;
          const kept = received - Math.max(pausedAt, tailEvents.length ? tailEvents[0].n : received);
          pausedStatus.dataset.count = arrived;
          pausedStatus.textContent = "paused: " + arrived + " new, held" +
            (arrived > kept ? " (the oldest " + (arrived - kept) + " dropped)" : "");
        }

        // Events of one read are shown together: a backlog of thousands costs one layout, not one each.
        let arriving = [];
        function addEvent(time, arena, text, kind) {
          const line = arena + ": " + text;
          const entry = { n: received++, time, arena, text: line, kind, search: line.toLowerCase() };
          tailEvents.push(entry);
          if (pausedAt === null && (!tailFilter || entry.search.includes(tailFilter))) arriving.push(entry);
        }
        function showArrived() {
          if (tailEvents.length > TAIL_KEPT) tailEvents.splice(0, tailEvents.length - TAIL_KEPT);
          if (pausedAt !== null) showPaused();
          if (arriving.length) showLines(arriving.slice(-TAIL_SHOWN), false);
          arriving = [];
        }

        $("pause").addEventListener("click", () => {
          const button = $("pause");
          if (pausedAt === null) {
            pausedAt = received; button.textContent = "Resume"; button.classList.add("on");
          } else {
            pausedAt = null; button.textContent = "Pause"; button.classList.remove("on");
            rebuildTail();
          }
          showPaused();
        });
        $("tail-filter").addEventListener("input", () => {
          tailFilter = $("tail-filter").value.trim().toLowerCase();
          rebuildTail();
        });

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
                  if (item.type === "event") {
                    // time_unix_ns is past 2^53: a double keeps it to a fraction of a microsecond, enough here.
                    addEvent(item.time_unix_ns / 1e6, item.arena, item.text, item.kind);
                    positions[item.arena] = item.seq;
                  } else if (item.type === "missed") {
                    addEvent(Date.now(), item.arena, "missed " + item.count + " events (overwritten in the ring)",
                      "note");
                  }
                }
                showArrived();
              }
              $("tail-status").textContent = "stream ended, reconnecting...";
            } catch (error) { $("tail-status").textContent = "stream error (" + error.message + "), retrying..."; }
            await new Promise(resolve => setTimeout(resolve, 2000));
          }
        }

        $("filter").addEventListener("input", () => render(lastSample));
        $("sort").addEventListener("change", () => render(lastSample));
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
