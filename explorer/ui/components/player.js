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
const REG = (window.__mpe = window.__mpe || { players: {}, sync: {}, plotly: null, keysBound: false });
REG.syncNode = REG.syncNode || {};
const SPEEDS = { slow: 1500, normal: 700, fast: 250 };

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!REG.plotly) {
    REG.plotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly")));
      s.onerror = () => { REG.plotly = null; reject(new Error("could not load plotly.js from " + url)); };
      document.head.appendChild(s);
    });
  }
  return REG.plotly;
}

// the first mount, Plotly ready and first draw of this page view, for `python -m explorer bench ui`
const mark = (name) => {
  try { if (!performance.getEntriesByName(name).length) performance.mark(name); } catch (e) { /* no marks */ }
};

// icons as SVG paths (no icon font needed, so they render on any machine)
const ICONS = {
  first: "M6 6h2v12H6zm3.5 6 8.5 6V6z", back: "M15.41 7.41 14 6l-6 6 6 6 1.41-1.41L10.83 12z",
  play: "M8 5v14l11-7z", pause: "M6 19h4V5H6v14zm8-14v14h4V5h-4z",
  next: "M10 6 8.59 7.41 13.17 12l-4.58 4.59L10 18l6-6z", last: "M6 18l8.5-6L6 6v12zM16 6v12h2V6h-2z",
};
const icon = (d) => `<svg viewBox="0 0 24 24" width="1.3em" height="1.3em" aria-hidden="true"><path fill="currentColor" d="${d}"/></svg>`;

// a base64 typed array as plotly encodes numpy arrays ({dtype: "f8"|"f4"|"i4"|..., bdata})
const DTYPES = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
                 u2: Uint16Array, i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray };
function typed(o) {
  if (!o || typeof o !== "object" || !o.bdata) return o;
  const bin = atob(o.bdata), u = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
  return new (DTYPES[o.dtype] || Float32Array)(u.buffer);
}

// ---- the preview: a static SVG picture of the figure's current step, drawn from the figure JSON
// as soon as the component mounts, so the graph is seen before plotly.js is ready (its one
// ~0.9 s main-thread evaluation); removed when Plotly has drawn. Scatter traces only (lines,
// filled shapes, markers, texts); any trace it cannot read is left out, and it never throws.
const SVGNS = "http://www.w3.org/2000/svg";
const isArr = (v) => Array.isArray(v) || ArrayBuffer.isView(v);
const arr = (v) => { const a = typed(v); return isArr(a) ? a : null; };  // an array or null
const pick = (v, i, dflt) => {  // entry i of an array attribute, or the scalar, or dflt
  const a = typed(v);
  const r = isArr(a) ? a[i] : a;
  return r === undefined || r === null ? dflt : r;
};
const plain = (o) => o && typeof o === "object" && !isArr(o) && !("bdata" in o);
function decoded(o) {  // a trace with its typed arrays decoded, once (pick reads them per point)
  if (!o || typeof o !== "object" || isArr(o)) return o;
  if (o.bdata) return typed(o);
  const out = {};
  for (const [k, v] of Object.entries(o)) out[k] = decoded(v);
  return out;
}
function merged(base, over) {  // a frame's trace update over the figure's trace (as Plotly.animate)
  const out = Object.assign({}, base);
  for (const [k, v] of Object.entries(over || {})) out[k] = plain(v) && plain(base[k]) ? merged(base[k], v) : v;
  return out;
}
function rgb(c) {  // "#abc", "#aabbcc", "rgb(...)", "rgba(...)" as [r, g, b, a], else null
  if (typeof c !== "string") return null;
  let m = c.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
  if (m) {
    const h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)).concat(1);
  }
  m = c.match(/^rgba?\(([^)]*)\)$/i);
  if (!m) return null;
  const p = m[1].split(",").map(Number);
  return p.length >= 3 && p.every(Number.isFinite) ? [p[0], p[1], p[2], p.length > 3 ? p[3] : 1] : null;
}
function scaleOf(cs, cmin, cmax) {  // value -> colour along a [[t, colour], ...] colorscale
  const stops = (Array.isArray(cs) ? cs : []).map(([t, c]) => [Number(t), rgb(c)]).filter((s) => s[1]);
  if (stops.length < 2 || !Number.isFinite(cmin) || !Number.isFinite(cmax)) return null;
  return (v) => {
    if (!Number.isFinite(v)) return "#999";
    const t = cmax > cmin ? Math.min(1, Math.max(0, (v - cmin) / (cmax - cmin))) : 0.5;
    let j = 1;
    while (j < stops.length - 1 && stops[j][0] < t) j++;
    const [t0, a] = stops[j - 1], [t1, b] = stops[j];
    const u = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    return `rgb(${[0, 1, 2].map((i) => Math.round(a[i] + u * (b[i] - a[i]))).join(",")})`;
  };
}
function markerColor(m) {  // point i -> fill colour of a trace's markers
  const c = typed(m.color);
  if (isArr(c) && c.length && typeof c[0] === "number") {
    let lo = Number(m.cmin), hi = Number(m.cmax);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      lo = Infinity; hi = -Infinity;
      for (const v of c) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    const f = scaleOf(m.colorscale, lo, hi);
    return (i) => (f ? f(c[i]) : "#888");
  }
  return (i) => pick(c, i, "#1f77b4");
}
function symbolPath(sym, r) {  // Plotly's symbol outlines (diameter 2r) for the few we use
  const s = String(sym).replace(/-open$/, "");
  if (s === "square") return `M${r},${r}H${-r}V${-r}H${r}Z`;
  if (s === "triangle-up" || s === "arrow" || s === "arrow-up") {
    const rt = (r * 2) / Math.sqrt(3), r2 = r / 2;
    return `M${-rt},${r2}H${rt}L0,${-r}Z`;
  }
  if (s === "diamond") { const d = r * 1.3; return `M${d},0L0,${d}L${-d},0L0,${-d}Z`; }
  return null;  // a circle
}
function drawPreview(P, fig, k) {
  try {
    return drawPreviewUnsafe(P, fig, k);
  } catch (e) {  // a picture is only a courtesy: Plotly draws the chart anyway
    return null;
  }
}
function drawPreviewUnsafe(P, fig, k) {
  const L = fig.layout || {}, gd = P.gd;
  const W = gd.clientWidth || gd.getBoundingClientRect().width || 700;
  const H = Number(L.height) || gd.clientHeight || 450;
  const M = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, L.margin || {});
  const frame = (fig.frames || [])[k];
  const over = {};
  if (frame && frame.data) (frame.traces || frame.data.map((_, i) => i)).forEach((ti, j) => { over[ti] = frame.data[j]; });
  const traces = (fig.data || []).map((t, i) => decoded(over[i] && !(P.S && (i === P.idx.selm)) ? merged(t, over[i]) : t));
  // colour bars push Plotly's margins (automargin): a flat one under the plot area the bottom,
  // an upright one beside it the right (estimated: ticks of about four characters)
  const fsize0 = Number((L.font || {}).size) || 12;
  let bottom = 0, right = 0;
  for (const t of traces) {
    const m = t.marker || {}, cb = m.colorbar || {};
    if (!m.showscale || t.visible === false) continue;
    const tick = Number((cb.tickfont || {}).size) || fsize0;
    const tsize = Number(((cb.title || {}).font || {}).size) || fsize0;
    const title = cb.title && cb.title.text;
    if (cb.orientation === "h") {
      if (Number(cb.y ?? 1) > 0) continue;
      bottom = Math.max(bottom, (Number(cb.ypad) || 10) + (title ? tsize + 6 : 0) + (Number(cb.thickness) || 30) + tick + 13);
    } else {
      const gap = (Number(cb.x ?? 1.02) - 1) * (W - M.l - M.r);
      right = Math.max(right, gap + 2 * (Number(cb.xpad) || 10) + (Number(cb.thickness) || 30)
                              + tick * 2.4 + (title ? tsize * 1.3 : 0));
    }
  }
  const x0 = M.l, y0 = M.t, w = Math.max(10, W - M.l - Math.max(M.r, right)), h = Math.max(10, H - M.t - Math.max(M.b, bottom));
  const xa = L.xaxis || {}, ya = L.yaxis || {};
  let xr = xa.range ? xa.range.slice() : null, yr = ya.range ? ya.range.slice() : null;
  if (!xr || !yr) {  // autorange: the data's extent plus a little
    let lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (const t of traces) {
      const X = arr(t.x), Y = arr(t.y);
      if (!X || !Y) continue;
      for (let i = 0; i < X.length; i++) {
        if (Number.isFinite(X[i]) && Number.isFinite(Y[i])) {
          lo = [Math.min(lo[0], X[i]), Math.min(lo[1], Y[i])]; hi = [Math.max(hi[0], X[i]), Math.max(hi[1], Y[i])];
        }
      }
    }
    if (!Number.isFinite(lo[0])) return null;
    const pad = (a, b) => { const d = (b - a) * 0.06 || 1; return [a - d, b + d]; };
    xr = xr || pad(lo[0], hi[0]); yr = yr || pad(lo[1], hi[1]);
  }
  if (ya.scaleanchor === "x" || xa.scaleanchor === "y") {  // equal units: widen the other range
    const s = Math.min(w / (xr[1] - xr[0]), h / (yr[1] - yr[0]));
    const cx = (xr[0] + xr[1]) / 2, cy = (yr[0] + yr[1]) / 2;
    xr = [cx - w / s / 2, cx + w / s / 2]; yr = [cy - h / s / 2, cy + h / s / 2];
  }
  const px = (x) => x0 + ((x - xr[0]) / (xr[1] - xr[0])) * w;
  const py = (y) => y0 + h - ((y - yr[0]) / (yr[1] - yr[0])) * h;
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "the graph (a preview, while the interactive chart loads)");
  Object.assign(svg.dataset, { x0, y0, w, h, xr: xr.join(","), yr: yr.join(",") });  // for the tests
  const font = L.font || {}, tfont = ((L.template || {}).layout || {}).font || {};
  const family = font.family || tfont.family || '"Open Sans", verdana, arial, sans-serif';
  const fcolor = font.color || tfont.color || "#444";
  const fsize = Number(font.size) || Number(tfont.size) || 12;
  svg.setAttribute("font-family", family);
  const parts = [];  // markup strings, joined once: far faster than one DOM call per element
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const num = (v) => (Math.round(v * 10) / 10).toString();
  const title = L.title && (typeof L.title === "string" ? L.title : L.title.text);
  if (title) {
    const tf = (L.title && L.title.font) || {};
    const tx = typeof L.title.x === "number" ? L.title.x * W : W / 2;
    parts.push(`<text x="${num(tx)}" y="${num(M.t / 2)}" dominant-baseline="central" text-anchor="${typeof L.title.x === "number" && L.title.x < 0.3 ? "start" : "middle"}" font-size="${Number(tf.size) || Math.round(fsize * 1.4)}" fill="${esc(tf.color || fcolor)}">${esc(String(title).replace(/<[^>]*>/g, ""))}</text>`);
  }
  parts.push(`<defs><clipPath id="mpe-pv-clip"><rect x="${x0}" y="${y0}" width="${w}" height="${h}"/></clipPath></defs><g clip-path="url(#mpe-pv-clip)">`);
  const MAX = 20000;  // points per trace: beyond, the trace waits for Plotly
  for (const t of traces) {
    try {
      if (!t || t.visible === false || t.visible === "legendonly") continue;
      if (t.type && t.type !== "scatter" && t.type !== "scattergl") continue;
      if ((t.xaxis && t.xaxis !== "x") || (t.yaxis && t.yaxis !== "y")) continue;
      const X = arr(t.x), Y = arr(t.y);
      if (!X || !Y || !X.length || X.length > MAX) continue;
      const n = Math.min(X.length, Y.length);
      const mode = t.mode || (n < 20 ? "lines+markers" : "lines");
      const ok = (i) => X[i] !== null && Y[i] !== null && Number.isFinite(X[i]) && Number.isFinite(Y[i]);
      const line = t.line || {};
      const fill = t.fill === "toself" ? t.fillcolor || "rgba(31,119,180,0.3)" : null;
      if (mode.includes("lines") || fill) {
        let d = "", open = false;
        for (let i = 0; i < n; i++) {
          if (!ok(i)) { if (open && fill) d += "Z"; open = false; continue; }
          d += (open ? "L" : "M") + num(px(X[i])) + "," + num(py(Y[i]));
          open = true;
        }
        if (open && fill) d += "Z";
        const lw = line.width === undefined ? 2 : Number(line.width) || 0;
        if (d && (fill || lw > 0)) {
          parts.push(`<path d="${d}" fill="${fill ? esc(fill) : "none"}"` + (lw > 0 && mode.includes("lines")
            ? ` stroke="${esc(line.color || "#1f77b4")}" stroke-width="${lw}" stroke-linejoin="round"` : "") + "/>");
        }
      }
      const m = t.marker || {};
      const sizeOf = (i) => Number(pick(m.size, i, 6)) || 0;
      if (mode.includes("markers")) {
        const color = markerColor(m), ml = m.line || {};
        const lcol = ml.color, lw = ml.width;
        const op = m.opacity;
        const g = [];
        for (let i = 0; i < n; i++) {
          if (!ok(i)) continue;
          const r = sizeOf(i) / 2;
          if (!(r > 0)) continue;
          const sym = String(pick(m.symbol, i, "circle"));
          const isOpen = /-open$/.test(sym);
          const c = color(i);
          const o = Number(pick(op, i, 1));
          const lwi = Number(pick(lw, i, isOpen ? 2 : 0)) || 0;
          const paint = isOpen ? `fill="none" stroke="${esc(c)}" stroke-width="${lwi || 2}"`
            : `fill="${esc(c)}"` + (lwi > 0 ? ` stroke="${esc(pick(lcol, i, "#444"))}" stroke-width="${lwi}"` : "");
          const alpha = o < 1 ? ` opacity="${o}"` : "";
          const cx = num(px(X[i])), cy = num(py(Y[i]));
          const path = symbolPath(sym, r);
          if (path === null) g.push(`<circle cx="${cx}" cy="${cy}" r="${num(r)}" ${paint}${alpha}/>`);
          else {
            const ang = Number(pick(m.angle, i, 0)) || 0;
            g.push(`<path d="${path}" transform="translate(${cx},${cy})${ang ? ` rotate(${num(ang)})` : ""}" ${paint}${alpha}/>`);
          }
        }
        parts.push(`<g data-trace="${esc(t.name || "")}">${g.join("")}</g>`);
      }
      if (mode.includes("text") && t.text !== undefined && t.text !== null) {
        const tf = t.textfont || {};
        const g = [];
        for (let i = 0; i < n; i++) {
          if (!ok(i)) continue;
          const raw = pick(t.text, i, "");
          if (raw === "" || raw === null) continue;
          const lines = String(raw).split(/<br\s*\/?>/i).map((s) => s.replace(/<[^>]*>/g, ""));
          const size = Number(pick(tf.size, i, fsize)) || fsize;
          const col = pick(tf.color, i, fcolor);
          const pos = String(pick(t.textposition, i, "middle center"));
          const r = mode.includes("markers") ? sizeOf(i) / 2 + 2 : 0;
          const [v, hz] = pos.split(" ");
          let x = px(X[i]), y = py(Y[i]);
          const lh = size * 1.3, tot = lh * lines.length;
          let top = y - tot / 2 + lh / 2;  // the first line's centre
          if (v === "top") top = y - r - tot + lh / 2;
          else if (v === "bottom") top = y + r + lh / 2;
          let anchor = "middle";
          if (hz === "left") { anchor = "end"; x -= r; } else if (hz === "right") { anchor = "start"; x += r; }
          const sh = String(pick(tf.shadow, i, ""));
          const halo = sh.includes("#fff") ? ' stroke="#fff" stroke-width="3" paint-order="stroke"'
            : sh.includes("#000") ? ' stroke="rgba(0,0,0,0.6)" stroke-width="2" paint-order="stroke"' : "";
          g.push(lines.map((s, j) => `<text x="${num(x)}" y="${num(top + j * lh)}" dominant-baseline="central" text-anchor="${anchor}" font-size="${size}" fill="${esc(col)}"${halo}>${esc(s)}</text>`).join(""));
        }
        parts.push(`<g data-trace="${esc(t.name || "")}-text">${g.join("")}</g>`);
      }
    } catch (e) { /* this trace waits for Plotly */ }
  }
  parts.push("</g>");
  svg.innerHTML = parts.join("");
  const box = document.createElement("div");
  box.className = "mpe-preview";
  box.style.background = L.paper_bgcolor || ((L.template || {}).layout || {}).paper_bgcolor || "#fff";
  box.appendChild(svg);
  gd.appendChild(box);
  return box;
}

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

  P.report = () => {
    const f = REG.sync[P.data.id];
    if (f) f(P.step);
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
    if (report && changed) { const f = REG.syncNode[P.data.id]; if (f) f(v); }
    if (!P.ready || !window.Plotly) return;
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
    if (report && changed) P.report();  // first: the panel's round trip overlaps the redraw
    P.render();
    if (P.ready && window.Plotly) {
      // SVG traces update in place (redraw: false: ~0.1 s at 1,000 nodes); WebGL ones need a
      // redraw (seconds on a software-rendered canvas)
      window.Plotly.animate(P.gd, [P.frame(k)], {
        mode: "immediate", frame: { duration: 0, redraw: P.gl }, transition: { duration: 0 },
      });
    }
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
    P.preview = drawPreview(P, fig, P.step);
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
          P.preview = drawPreview(P, fig, P.step);
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
