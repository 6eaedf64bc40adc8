// The trace player: one Plotly figure with its frames, drawn once, stepped in the browser.
//
// data = {id, fig (JSON text), fig_id, step, node, n_nodes, labels[], speed, plotly_url,
//         controls, autoplay, loop, keys, height, select (JSON text), scale}
// Every step change calls Plotly.animate (nothing goes to the server to move the chart) and is
// then reported to the page's sync component (sync.js), which reruns only the detail panel.
// The server moves the chart through sync.js too (player.seek): P.show(step, false).
// A click on a node, or the N/P keys, select it here: the ring, its incoming edges and its
// messages of every step are drawn from data.select (sent once with the figure); the node is then
// reported to sync.js like a step (only the panel reruns), and the panel's sync brings back the
// node's message texts (placed on the server) and any node chosen in the panel.
// Until plotly.js is ready (a ~0.9 s evaluation on a returning visit) a static SVG preview of the
// current step stands in the chart's place (drawPreview) and the controls are disabled.
// The shared helpers (loadPlotly, mark, typed, drawPreview, REG) come from preview.js, concatenated
// in front of this file.
REG.syncNode = REG.syncNode || {};
const SPEEDS = { slow: 1500, normal: 700, fast: 250 };
// icons as SVG paths (no icon font needed, so they render on any machine)
const ICONS = {
  first: "M6 6h2v12H6zm3.5 6 8.5 6V6z", back: "M15.41 7.41 14 6l-6 6 6 6 1.41-1.41L10.83 12z",
  play: "M8 5v14l11-7z", pause: "M6 19h4V5H6v14zm8-14v14h4V5h-4z",
  next: "M10 6 8.59 7.41 13.17 12l-4.58 4.59L10 18l6-6z", last: "M6 18l8.5-6L6 6v12zM16 6v12h2V6h-2z",
};
const icon = (d) => `<svg viewBox="0 0 24 24" width="1.3em" height="1.3em" aria-hidden="true"><path fill="currentColor" d="${d}"/></svg>`;

function selectPayload(text) {
  if (!text) return null;
  const S = JSON.parse(text);
  if (!S) return null;
  for (const k of ["pos", "senders", "receivers", "edge_xy", "angle"]) S[k] = typed(S[k]);
  let edges = null;
  for (const st of S.steps || []) {
    st.values = typed(st.values);
    edges = st.edges ? typed(st.edges) : edges;  // left out: the same edges as the step before
    st.edges = edges || new Int32Array(0);
  }
  return S;
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function build(root) {
  const box = el("div", { class: "mpe" });
  const plot = el("div", { class: "mpe-plot" });
  const bar = el("div", { class: "mpe-bar", role: "toolbar", "aria-label": "step controls" });
  const btn = (act, label, title) => {
    const b = el("button", { type: "button", class: "mpe-btn", "data-act": act, title, "aria-label": title }, label);
    bar.appendChild(b);
    return b;
  };
  const first = btn("first", "", "First step (Home)");
  const back = btn("back", "", "Back one step (←)");
  const play = btn("play", "", "Play / Pause (space)");
  play.classList.add("mpe-play");
  const next = btn("next", "", "Next step (→)");
  next.classList.add("mpe-next");
  const last = btn("last", "", "Last step (End)");
  first.innerHTML = icon(ICONS.first);
  back.innerHTML = icon(ICONS.back);
  next.innerHTML = icon(ICONS.next) + "<span>Next</span>";
  last.innerHTML = icon(ICONS.last);
  const slider = el("input", { type: "range", class: "mpe-slider", min: "0", max: "0", step: "1",
                               "aria-label": "step" });
  const label = el("span", { class: "mpe-label", "aria-live": "polite" });
  const speed = el("select", { class: "mpe-speed", title: "Animation speed", "aria-label": "speed" });
  for (const s of Object.keys(SPEEDS)) speed.appendChild(el("option", { value: s }, s));
  bar.append(slider, label, speed);
  const msg = el("div", { class: "mpe-msg" });
  box.append(bar, plot, msg);  // controls on top: in view on a 720-pixel projector
  root.appendChild(box);
  return { box, plot, bar, first, back, play, next, last, slider, label, speed, msg };
}

function makePlayer(ui) {
  const P = { ui, gd: ui.plot, step: 0, n: 1, playing: false, timer: null, data: null, figId: null,
              ready: false, pending: null, triggers: null, sel: 0, S: null, idx: {}, texts: null,
              scale: 1 };

  P.report = () => {  // true when the panel was told (its trigger leaves in a later task)
    const f = REG.sync[P.data.id];
    return f ? f(P.step) === true : false;
  };
  // A redraw holds the main thread (~40-90 ms on karate, ~250 ms at 1,000 nodes) in the next
  // animation frame, and Streamlit sends a component's trigger from a setTimeout(0), which the
  // browser ran after that frame: the panel's request waited for the whole redraw. After a
  // report the redraw is asked for one task later, behind the request, and the server works
  // while the browser draws.
  P.later = (what) => {  // "step" or "selection" (which redraws the step's frame too)
    P.queued = P.queued === "selection" ? "selection" : what;
    if (P.queuedTimer) return;
    P.queuedTimer = setTimeout(() => {
      const q = P.queued;
      P.queued = P.queuedTimer = null;
      if (!P.ready || !window.Plotly) return;
      if (q === "selection") P.drawSelection();
      else P.draw(P.step);
    }, 0);
  };
  P.render = () => {
    const { ui } = P;
    ui.slider.max = String(P.n - 1);
    ui.slider.value = String(P.step);
    const names = P.data.labels || [];
    const wait = !P.ready;  // the preview is a picture: nothing to step until Plotly is ready
    ui.label.textContent = `step ${P.step + 1} of ${P.n}` + (names[P.step] ? ` · ${names[P.step]}` : "")
      + (wait ? " · loading the interactive chart…" : "");
    ui.first.disabled = ui.back.disabled = wait || P.step === 0;
    ui.last.disabled = ui.next.disabled = wait || P.step >= P.n - 1;
    ui.play.disabled = ui.slider.disabled = wait || P.n < 2;
    ui.play.innerHTML = P.playing ? icon(ICONS.pause) + "<span>Pause</span>" : icon(ICONS.play) + "<span>Play</span>";
    ui.play.setAttribute("aria-pressed", P.playing ? "true" : "false");
    P.gd.dataset.step = String(P.step);
    P.ui.box.dataset.step = String(P.step);
  };
  // ---- selection, drawn in the browser from data.select (see trace_view.selection_payload)
  P.selMessages = (k) => {  // the selected node's messages at step k (the "messages into selected" trace)
    const S = P.S, v = P.sel, st = S && S.steps && S.steps[k];
    const out = { x: [], y: [], hovertext: [], text: [], marker: { color: [], size: [], angle: [] } };
    if (!st || v === null || v < 0) return out;
    const txt = [];
    for (let j = 0; j < st.edges.length; j++) {
      const e = st.edges[j];
      if (S.receivers[e] !== v) continue;
      const val = st.values[j];
      out.x.push(S.edge_xy[2 * e]); out.y.push(S.edge_xy[2 * e + 1]);
      out.marker.angle.push(S.angle[e]); out.marker.color.push(val);
      out.marker.size.push(P.scale * (S.wl_size !== null && S.wl_size !== undefined ? S.wl_size
        : S.size_a + S.size_b * Math.abs(Number.isFinite(val) ? val : 0) / S.scale));
      out.hovertext.push(st.hover ? st.hover[j]
        : `${S.labels[S.senders[e]]} → ${S.labels[S.receivers[e]]} (edge ${e})`);
      if (st.text) txt.push(st.text[j]);
    }
    if (st.text && out.x.length <= S.max_text) out.text = txt;
    return out;
  };
  P.selStatic = () => {  // the ring and the incoming edges of the selected node
    const S = P.S, v = P.sel, hx = [], hy = [], seen = new Set();
    for (let e = 0; e < S.receivers.length; e++) {
      const s = S.senders[e];
      if (S.receivers[e] !== v || s === v) continue;
      const a = Math.min(s, v), b = Math.max(s, v);
      if (seen.has(a + "," + b)) continue;  // each pair once (an undirected edge is two directed ones)
      seen.add(a + "," + b);
      hx.push(S.pos[2 * a], S.pos[2 * b], null); hy.push(S.pos[2 * a + 1], S.pos[2 * b + 1], null);
    }
    return [{ x: hx, y: hy }, { x: [S.pos[2 * v]], y: [S.pos[2 * v + 1]] }];
  };
  P.frame = (k) => {  // frame k with the selected node's messages (and texts) filled in
    const f = P.gd._transitionData && P.gd._transitionData._frameHash[String(k)];
    if (!f || !P.S || P.idx.selm === undefined) return String(k);
    const data = f.data.slice(), traces = f.traces;
    const at = (i) => traces.indexOf(i);
    if (at(P.idx.selm) >= 0) data[at(P.idx.selm)] = Object.assign({ type: data[at(P.idx.selm)].type }, P.selMessages(k));
    const T = P.texts;
    if (T && T.node === P.sel && T.frames[k] && at(P.idx.text) >= 0)
      data[at(P.idx.text)] = Object.assign({ type: data[at(P.idx.text)].type }, T.frames[k]);
    return { name: String(k), data, traces };
  };
  P.select = (v, report = true) => {
    if (!P.S) return;
    v = ((v | 0) % P.S.n + P.S.n) % P.S.n;
    const changed = v !== P.sel;
    P.sel = v;
    P.gd.dataset.node = String(v);
    P.ui.box.dataset.node = String(v);
    let sent = false;
    if (report && changed) { const f = REG.syncNode[P.data.id]; if (f) sent = f(v) === true; }
    if (!P.ready || !window.Plotly) return;
    if (sent) { P.later("selection"); return; }
    P.drawSelection();
  };
  P.drawSelection = () => {
    const [hl, ring] = P.selStatic();
    const fr = P.frame(P.step);
    const data = [hl, ring], traces = [P.idx.hl, P.idx.ring];
    if (typeof fr === "object") { data.push(...fr.data); traces.push(...fr.traces); }
    window.Plotly.animate(P.gd, [{ data, traces }], {
      mode: "immediate", frame: { duration: 0, redraw: P.gl }, transition: { duration: 0 },
    });
  };
  P.setTexts = (T) => {  // the selected node's message texts per step, placed by the server
    if (!T || T.node !== P.sel) return;
    if (P.texts && P.texts.node === T.node && P.texts.raw === T.frames) return;
    P.texts = { node: T.node, raw: T.frames, frames: JSON.parse(T.frames) };
    if (P.ready) P.show(P.step, false);
  };
  P.show = (k, report = true) => {
    k = Math.max(0, Math.min(P.n - 1, k | 0));
    const changed = k !== P.step;
    P.step = k;
    const sent = report && changed && P.report();  // first: the round trip overlaps the redraw
    P.render();
    if (P.ready && window.Plotly) {
      if (sent) P.later("step");
      else P.draw(k);
    }
  };
  P.draw = (k) => {
    // SVG traces update in place (redraw: false: ~0.1 s at 1,000 nodes); WebGL ones need a
    // redraw (seconds on a software-rendered canvas)
    window.Plotly.animate(P.gd, [P.frame(k)], {
      mode: "immediate", frame: { duration: 0, redraw: P.gl }, transition: { duration: 0 },
    });
  };
  P.stop = (report = true) => {
    if (P.timer) clearTimeout(P.timer);
    P.timer = null;
    if (P.playing) { P.playing = false; P.render(); if (report) P.report(); }
  };
  P.tick = () => {
    if (!P.playing) return;
    if (P.step >= P.n - 1) {
      if (P.data.loop) P.show(0, false);
      else { P.stop(); return; }
    } else P.show(P.step + 1, !P.data.autoplay);
    P.timer = setTimeout(P.tick, SPEEDS[P.ui.speed.value] || 700);
  };
  P.play = () => {
    if (P.playing) { P.stop(); return; }
    if (P.step >= P.n - 1) P.show(0);
    P.playing = true;
    P.render();
    P.timer = setTimeout(P.tick, SPEEDS[P.ui.speed.value] || 700);
  };
  P.act = (a) => {
    if (!P.ready) return;  // the controls are disabled while the preview stands in
    if (a === "play") return P.play();
    P.stop();
    if (a === "first") P.show(0);
    else if (a === "back") P.show(P.step - 1);
    else if (a === "next") P.show(P.step + 1);
    else if (a === "last") P.show(P.n - 1);
  };
  P.node = (delta) => { if (P.S) P.select(P.sel + delta); };
  ui.bar.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (b) P.act(b.dataset.act);
  });
  ui.slider.addEventListener("input", () => { if (P.ready) { P.stop(); P.show(Number(ui.slider.value)); } });
  ui.speed.addEventListener("change", () => {
    ui.speed.blur();  // give the arrow keys back to the player
    if (P.triggers) P.triggers("speed", ui.speed.value);
  });
  return P;
}

function onKey(e) {
  const P = REG.active;
  if (!P || !P.data || !P.data.keys || !P.ui.box.isConnected) return;
  const t = e.target;
  const tag = (t && t.tagName) || "";
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) && !(t.classList && t.classList.contains("mpe-slider"))) return;
  if (t && t.isContentEditable) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const map = { ArrowRight: "next", ArrowLeft: "back", Home: "first", End: "last" };
  if (map[e.key]) { e.preventDefault(); P.act(map[e.key]); }
  else if (e.key === " " || e.key === "k") {
    if (tag === "BUTTON" && !t.closest(".mpe")) return;  // space on another button presses it
    e.preventDefault(); P.act("play");
  }
  else if (e.key === "n" || e.key === "N") { e.preventDefault(); P.node(1); }
  else if (e.key === "p" || e.key === "P") { e.preventDefault(); P.node(-1); }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  const root = parentElement;
  let P = root.__mpe;
  if (!P || !P.ui.box.isConnected) {
    P = root.__mpe = makePlayer(build(root));
  }
  P.triggers = setTriggerValue;
  P.data = data;
  REG.players[data.id] = P;
  if (data.keys) REG.active = P;
  if (!REG.keysBound) { document.addEventListener("keydown", onKey); REG.keysBound = true; }
  P.ui.bar.style.display = data.controls === false ? "none" : "";
  if (data.speed && SPEEDS[data.speed]) P.ui.speed.value = data.speed;
  if (data.height) P.ui.plot.style.height = data.height + "px";
  P.ui.box.classList.toggle("mpe-lecture", !!data.lecture);

  if (P.figId === data.fig_id) {  // same figure: keep the browser's step (it is the truth)
    P.render();
    return;
  }
  P.stop();
  P.ready = false;
  P.figId = data.fig_id;
  const fig = typeof data.fig === "string" ? JSON.parse(data.fig) : data.fig;
  P.S = selectPayload(data.select);
  P.scale = data.scale || 1;
  P.texts = null;
  const names = (fig.data || []).map((t) => t.name);
  P.idx = { hl: names.indexOf("incoming edges"), ring: names.indexOf("selected"),
            selm: names.indexOf("messages into selected"), text: names.indexOf("message values") };
  if (P.S && [P.idx.hl, P.idx.ring].some((i) => i < 0)) P.S = null;
  if (P.idx.selm < 0) P.idx.selm = undefined;
  if (P.idx.text < 0) P.idx.text = undefined;
  P.sel = Math.max(0, data.node | 0);
  P.n = Math.max(1, (fig.frames || []).length || 1);
  // a redraw only when a trace the frames change is WebGL (static WebGL edges under SVG nodes
  // and messages keep the in-place update)
  const animated = new Set(((fig.frames || [])[0] || {}).traces || (fig.data || []).map((_, i) => i));
  P.gl = (fig.data || []).some((t, i) => animated.has(i) && String(t.type || "").endsWith("gl"));
  const sought = REG.pendingSeek && REG.pendingSeek[data.id];  // a seek that came first
  if (sought !== undefined) delete REG.pendingSeek[data.id];
  P.step = Math.max(0, Math.min(P.n - 1, (sought !== undefined ? sought : data.step) | 0));
  P.render();
  if (P.S) {  // drawn with the selection in it, so its legend entry is there from the start
    const [hl, ring] = P.selStatic();
    Object.assign(fig.data[P.idx.hl], hl);
    Object.assign(fig.data[P.idx.ring], ring);
    if (P.idx.selm !== undefined) {
      const m = P.selMessages(P.step), t = fig.data[P.idx.selm];
      Object.assign(t, { x: m.x, y: m.y, hovertext: m.hovertext, text: m.text });
      t.marker = Object.assign({}, t.marker, m.marker);
    }
  }
  mark("mpe:mount");
  const unpreview = () => {
    if (P.previewSizer) { P.previewSizer.disconnect(); P.previewSizer = null; }
    if (P.preview) { P.preview.remove(); P.preview = null; }
  };
  unpreview();
  if (!window.Plotly) {  // plotly.js not run yet in this tab: a picture of the step meanwhile
    P.preview = drawPreview(P.gd, fig, P.step, P.S ? P.idx.selm : undefined);
    if (P.preview) {
      mark("mpe:preview");
      requestAnimationFrame(() => mark("mpe:painted"));  // the frame that paints it
      // the column may still settle (Streamlit's layout, the sidebar): redrawn at its new
      // width, so the picture sits where Plotly will draw (autosize: the element's width)
      let width = P.gd.clientWidth;
      if (window.ResizeObserver) {
        const ro = new ResizeObserver(() => {
          if (!P.preview || P.figId !== data.fig_id) { ro.disconnect(); return; }
          if (P.gd.clientWidth === width || !P.gd.clientWidth) return;
          width = P.gd.clientWidth;
          P.preview.remove();
          P.preview = drawPreview(P.gd, fig, P.step, P.S ? P.idx.selm : undefined);
        });
        ro.observe(P.gd);
        P.previewSizer = ro;  // disconnected with the preview (unpreview)
      }
    }
  }
  const draw = () => loadPlotly(data.plotly_url).then((Plotly) => {
    mark("mpe:plotly");
    if (P.figId !== data.fig_id) return;  // a newer figure arrived meanwhile
    const config = { displaylogo: false, responsive: true, scrollZoom: false };
    return Plotly.react(P.gd, fig.data, fig.layout, config).then(() => {
      mark("mpe:drawn");
      if (P.figId === data.fig_id) unpreview();
      if (P.figId !== data.fig_id) return;
      return Plotly.addFrames(P.gd, fig.frames || []);
    }).then(() => {
      if (P.figId !== data.fig_id) return;
      P.ready = true;
      if (!P.gd.__mpeClick) {
        P.gd.__mpeClick = true;
        // Plotly.animate leaves the scatter traces' groups in the order it made them (traces empty
        // at the first draw come late, the labels once landed under the nodes, which hid the
        // labels drawn inside them): put them back in the figure's trace order
        const order = () => {
          const layer = P.gd.querySelector(".scatterlayer");
          if (!layer) return;
          const at = (g) => { const d = g.__data__ && g.__data__[0]; return d && d.trace ? d.trace.index : 1e9; };
          const gs = [...layer.children];
          if (gs.every((g, i) => i === 0 || at(gs[i - 1]) <= at(g))) return;
          gs.sort((a, b) => at(a) - at(b)).forEach((g) => layer.appendChild(g));
        };
        P.gd.on("plotly_afterplot", order);
        P.gd.on("plotly_animated", order);
        order();
        P.gd.on("plotly_click", (ev) => {
          const pt = ev && ev.points && ev.points[0];
          if (!pt || pt.customdata === undefined || pt.customdata === null) return;
          const cd = Array.isArray(pt.customdata) ? pt.customdata[0] : pt.customdata;
          if (Number.isInteger(Number(cd))) P.select(Number(cd));
        });
      }
      const pendingTexts = REG.pendingTexts && REG.pendingTexts[data.id];
      if (pendingTexts) { delete REG.pendingTexts[data.id]; if (pendingTexts.node === P.sel) P.texts = { node: pendingTexts.node, raw: pendingTexts.frames, frames: JSON.parse(pendingTexts.frames) }; }
      if (P.S) P.select(P.sel, false);
      P.show(P.step, false);
      P.gd.dataset.ready = "1";
      P.ui.box.dataset.ready = data.fig_id;
      P.report();
      if (data.autoplay) P.play();
    });
  }).catch((err) => {
    P.ui.msg.textContent = "The chart could not be drawn: " + err.message;
  });
  // with a preview, plotly.js (one long main-thread task) starts after the browser painted it
  if (P.preview && !REG.plotly) requestAnimationFrame(() => setTimeout(draw, 0));  // after "mpe:painted"
  else draw();
}
