// Shared by the chart components (player.js, figure.js): concatenated in front of each one's
// module (explorer/ui/components/__init__.py), so both use one plotly.js per tab (loadPlotly,
// the window.__mpe registry) and one static SVG preview (drawPreview).
const REG = (window.__mpe = window.__mpe || { players: {}, sync: {}, plotly: null, keysBound: false });

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
function rowsOf(a, shape) {  // a 2-D typed array (plotly sends it flat, with its shape) as rows
  const dims = String(shape || "").split(",").map(Number);
  if (dims.length !== 2 || !(dims[1] > 0) || !ArrayBuffer.isView(a)) return a;
  const rows = [];
  for (let i = 0; i < a.length; i += dims[1]) rows.push(a.subarray(i, i + dims[1]));
  return rows;
}
function decoded(o) {  // a trace with its typed arrays decoded, once (pick reads them per point)
  if (!o || typeof o !== "object" || isArr(o)) return o;
  if (o.bdata) return rowsOf(typed(o), o.shape);
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
function drawPreview(gd, fig, k, keep) {  // keep: a trace the frame does not update (the player's)
  try {
    return drawPreviewUnsafe(gd, fig, k, keep);
  } catch (e) {  // a picture is only a courtesy: Plotly draws the chart anyway
    return null;
  }
}
// the position of a value on an axis: a category's index on a category axis (Plotly's order of
// first appearance), else the number
function axisOf(ax, values) {
  const cats = new Map();
  const isCat = ax.type === "category" || (ax.type !== "linear" && values.some((v) => typeof v === "string" && !Number.isFinite(Number(v))));
  if (isCat) for (const v of values) if (v !== null && v !== undefined && !cats.has(String(v))) cats.set(String(v), cats.size);
  return { cat: isCat, n: cats.size,
           at: isCat ? (v) => (typeof v === "number" ? v : cats.has(String(v)) ? cats.get(String(v)) : NaN)
                     : (v) => (v === null || v === "" ? NaN : Number(v)) };
}
// a heatmap's z as rows (a 2-D typed array arrives flat, with its shape), or null
function heatRows(z) {
  z = z && z.bdata ? rowsOf(typed(z), z.shape) : z;
  if (ArrayBuffer.isView(z)) return z.length ? [z] : null;  // one row
  if (!Array.isArray(z) || !z.length) return null;
  const rows = z.map((r) => typed(r));
  return rows.every(isArr) ? rows : null;
}
// a heatmap's cells as rectangles through its colour scale (zmin/zmax, or the data's extent)
function heatmap(t, V, parts, MAX, index) {
  const Z = heatRows(t.z);
  if (!Z || Z.length * Z[0].length > MAX) return;
  const X = arr(t.x), Y = arr(t.y);
  let lo = Number(t.zmin), hi = Number(t.zmax);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || t.zauto === true) {
    lo = Infinity; hi = -Infinity;
    for (const r of Z) for (const v of r) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (Number.isFinite(Number(t.zmid))) { const d = Math.max(Math.abs(lo - t.zmid), Math.abs(hi - t.zmid)); lo = t.zmid - d; hi = t.zmid + d; }
  }
  let cs = Array.isArray(t.colorscale) ? t.colorscale : [[0, "#0d0887"], [1, "#f0f921"]];
  if (t.reversescale) cs = cs.map(([u, c]) => [1 - u, c]).reverse();
  const f = scaleOf(cs, lo, hi);
  if (!f) return;
  const g = [];
  const num = (v) => (Math.round(v * 100) / 100).toString();
  for (let i = 0; i < Z.length; i++) {
    const yc = Y ? Y[i] : i;
    const ya = V.py(V.YA.at(yc) - 0.5), yb = V.py(V.YA.at(yc) + 0.5);
    for (let j = 0; j < Z[i].length; j++) {
      const v = Z[i][j];
      if (v === null || !Number.isFinite(v)) continue;
      const xc = X ? X[j] : j;
      const xa = V.px(V.XA.at(xc) - 0.5), xb = V.px(V.XA.at(xc) + 0.5);
      if (![xa, xb, ya, yb].every(Number.isFinite)) continue;
      g.push(`<rect x="${num(Math.min(xa, xb))}" y="${num(Math.min(ya, yb))}" width="${num(Math.abs(xb - xa))}" height="${num(Math.abs(yb - ya))}" fill="${f(v)}" data-i="${i}" data-j="${j}"/>`);
    }
  }
  parts.push(`<g data-trace="${String(t.name || "heatmap").replace(/[&<>"]/g, "")}" data-index="${index}" shape-rendering="crispEdges">${g.join("")}</g>`);
}
function drawPreviewUnsafe(gd, fig, k, keep) {
  const L = fig.layout || {}, TL = (L.template || {}).layout || {};
  const W = gd.clientWidth || gd.getBoundingClientRect().width || 700;
  const H = Number(L.height) || gd.clientHeight || 450;
  const M = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, TL.margin || {}, L.margin || {});
  const frame = (fig.frames || [])[k];
  const over = {};
  if (frame && frame.data) (frame.traces || frame.data.map((_, i) => i)).forEach((ti, j) => { over[ti] = frame.data[j]; });
  const traces = (fig.data || []).map((t, i) => decoded(over[i] && i !== keep ? merged(t, over[i]) : t));
  // colour bars push Plotly's margins (automargin): a flat one under the plot area the bottom,
  // an upright one beside it the right (estimated: ticks of about four characters)
  const fsize0 = Number((L.font || {}).size) || Number((TL.font || {}).size) || 12;
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
  // every pair of axes the traces use (subplots: each axis's domain of the plot area)
  const pairs = new Map();
  for (const t of traces) {
    if (!t) continue;
    const id = (t.xaxis || "x") + "|" + (t.yaxis || "y");
    if (!pairs.has(id)) pairs.set(id, []);
    pairs.get(id).push(t);
  }
  const axisName = (id, d) => d + "axis" + id.slice(1);
  const view = {};  // "x|y" -> {px, py, box} (pixel mappers of that pair)
  for (const [id, ts] of pairs) {
    const [xid, yid] = id.split("|");
    const xa = L[axisName(xid, "x")] || {}, ya = L[axisName(yid, "y")] || {};
    const xs = [], ys = [];
    for (const t of ts) {
      const X = arr(t.x), Y = arr(t.y);
      if (X) for (const v of X) xs.push(v);
      if (Y) for (const v of Y) ys.push(v);
    }
    const XA = axisOf(xa, xs), YA = axisOf(ya, ys);
    const xd = xa.domain || [0, 1], yd = ya.domain || [0, 1];
    const bx = x0 + xd[0] * w, bw = (xd[1] - xd[0]) * w, by = y0 + (1 - yd[1]) * h, bh = (yd[1] - yd[0]) * h;
    const extent = (A, vals, heat) => {  // the data's extent plus a little (a cell's half on a heatmap)
      if (A.cat) return [-0.5, Math.max(A.n, 1) - 0.5];
      let lo = Infinity, hi = -Infinity;
      for (const v of vals) { const p = A.at(v); if (Number.isFinite(p)) { lo = Math.min(lo, p); hi = Math.max(hi, p); } }
      if (!Number.isFinite(lo)) return null;
      if (heat) return [lo - 0.5, hi + 0.5];
      const d = (hi - lo) * 0.06 || 1;
      return [lo - d, hi + d];
    };
    const heat = ts.some((t) => t.type === "heatmap");
    for (const t of ts) {  // a heatmap without x/y: its columns and rows by index
      if (t.type !== "heatmap") continue;
      const Z = heatRows(t.z);
      if (!Z) continue;
      if (!arr(t.x)) for (let j = 0; j < Z[0].length; j++) xs.push(j);
      if (!arr(t.y)) for (let i = 0; i < Z.length; i++) ys.push(i);
    }
    let xr = xa.range ? xa.range.slice() : extent(XA, xs, heat);
    let yr = ya.range ? ya.range.slice() : extent(YA, ys, heat);
    if (!xr || !yr) continue;
    if (!xa.range && xa.autorange === "reversed") xr.reverse();
    if (!ya.range && ya.autorange === "reversed") yr.reverse();
    if (id === "x|y" && (ya.scaleanchor === "x" || xa.scaleanchor === "y")) {  // equal units: widen the other range
      const s = Math.min(bw / (xr[1] - xr[0]), bh / (yr[1] - yr[0]));
      const cx = (xr[0] + xr[1]) / 2, cy = (yr[0] + yr[1]) / 2;
      xr = [cx - bw / s / 2, cx + bw / s / 2]; yr = [cy - bh / s / 2, cy + bh / s / 2];
    }
    view[id] = { xr, yr, XA, YA, box: [bx, by, bw, bh],
                 px: (x) => bx + ((XA.at(x) - xr[0]) / (xr[1] - xr[0])) * bw,
                 py: (y) => by + bh - ((YA.at(y) - yr[0]) / (yr[1] - yr[0])) * bh };
  }
  const main = view["x|y"] || Object.values(view)[0];
  if (!main) return null;
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "the chart (a preview, while the interactive chart loads)");
  const [mx, my, mw, mh] = main.box;
  Object.assign(svg.dataset, { x0: mx, y0: my, w: mw, h: mh, xr: main.xr.join(","), yr: main.yr.join(",") });  // for the tests
  const font = L.font || {}, tfont = TL.font || {};
  const family = font.family || tfont.family || '"Open Sans", verdana, arial, sans-serif';
  const fcolor = font.color || tfont.color || "#444";
  const fsize = Number(font.size) || Number(tfont.size) || 12;
  svg.setAttribute("font-family", family);
  const parts = [];  // markup strings, joined once: far faster than one DOM call per element
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const num = (v) => (Math.round(v * 10) / 10).toString();
  const title = L.title && (typeof L.title === "string" ? L.title : L.title.text);
  if (title) {
    const tf = Object.assign({}, (TL.title || {}).font, (L.title && L.title.font) || {});
    const tx = typeof L.title.x === "number" ? L.title.x * W : W / 2;
    const bold = /^\s*<b>/i.test(String(title)) ? ' font-weight="bold"' : "";
    if (tf.family) parts.push(`<text x="${num(tx)}" y="${num(M.t / 2)}" dominant-baseline="central" text-anchor="${typeof L.title.x === "number" && L.title.x < 0.3 ? "start" : "middle"}" font-size="${Number(tf.size) || Math.round(fsize * 1.4)}" fill="${esc(tf.color || fcolor)}" font-family="${esc(tf.family)}"${bold}>${esc(String(title).replace(/<[^>]*>/g, ""))}</text>`);
    else parts.push(`<text x="${num(tx)}" y="${num(M.t / 2)}" dominant-baseline="central" text-anchor="${typeof L.title.x === "number" && L.title.x < 0.3 ? "start" : "middle"}" font-size="${Number(tf.size) || Math.round(fsize * 1.4)}" fill="${esc(tf.color || fcolor)}"${bold}>${esc(String(title).replace(/<[^>]*>/g, ""))}</text>`);
  }
  for (const a of L.annotations || []) {  // paper-placed texts (a subplot's title)
    try {
      if (!a || a.visible === false || a.text === undefined || (a.xref && a.xref !== "paper") || (a.yref && a.yref !== "paper")) continue;
      const af = a.font || {};
      const ax = x0 + Number(a.x) * w, ay = y0 + (1 - Number(a.y)) * h;
      if (!Number.isFinite(ax) || !Number.isFinite(ay)) continue;
      const anchor = a.xanchor === "left" ? "start" : a.xanchor === "right" ? "end" : "middle";
      const base = a.yanchor === "bottom" ? "text-after-edge" : a.yanchor === "top" ? "text-before-edge" : "central";
      parts.push(`<text x="${num(ax)}" y="${num(ay)}" dominant-baseline="${base}" text-anchor="${anchor}" font-size="${Number(af.size) || fsize}" fill="${esc(af.color || fcolor)}">${esc(String(a.text).replace(/<[^>]*>/g, ""))}</text>`);
    } catch (e) { /* left for Plotly */ }
  }
  const clip = "mpe-pv-clip" + (REG.clips = (REG.clips || 0) + 1);  // unique: two previews on one page
  parts.push(`<defs><clipPath id="${clip}"><rect x="${x0}" y="${y0}" width="${w}" height="${h}"/></clipPath></defs><g clip-path="url(#${clip})">`);
  const MAX = 20000;  // points per trace: beyond, the trace waits for Plotly
  for (const [index, t] of traces.entries()) {
    try {
      if (!t || t.visible === false || t.visible === "legendonly") continue;
      const V = view[(t.xaxis || "x") + "|" + (t.yaxis || "y")];
      if (!V) continue;
      if (t.type === "heatmap") { heatmap(t, V, parts, MAX, index); continue; }
      if (t.type && t.type !== "scatter" && t.type !== "scattergl") continue;
      const X = arr(t.x), Y = arr(t.y);
      if (!X || !Y || !X.length || X.length > MAX) continue;
      const n = Math.min(X.length, Y.length);
      const mode = t.mode || (n < 20 ? "lines+markers" : "lines");
      const { px, py } = V;
      const ok = (i) => Number.isFinite(px(X[i])) && Number.isFinite(py(Y[i]));
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
  for (const sh of L.shapes || []) {  // rectangles on an axis pair (the Matrix view's row frame)
    try {
      if (!sh || sh.type !== "rect" || sh.visible === false) continue;
      const V = view[(sh.xref || "x") + "|" + (sh.yref || "y")];
      if (!V) continue;
      const xa = V.px(Number(sh.x0)), xb = V.px(Number(sh.x1)), ya = V.py(Number(sh.y0)), yb = V.py(Number(sh.y1));
      if (![xa, xb, ya, yb].every(Number.isFinite)) continue;
      const ln = sh.line || {};
      parts.push(`<rect x="${num(Math.min(xa, xb))}" y="${num(Math.min(ya, yb))}" width="${num(Math.abs(xb - xa))}" height="${num(Math.abs(yb - ya))}" fill="${esc(sh.fillcolor || "none")}" stroke="${esc(ln.color || "#444")}" stroke-width="${Number(ln.width ?? 2)}"/>`);
    } catch (e) { /* left for Plotly */ }
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
