// One Plotly figure (no frames), drawn with the player's plotly.js: the page's charts that
// st.plotly_chart drew, without Streamlit's own Plotly chunk (~0.9 s of main thread that ran
// before the player mounted, so no preview could be seen first). See docs/player.md.
//
// data = {fig (JSON text, as st.plotly_chart sends it), theme (what Streamlit's frontend merges
//         into layout.template.layout), fig_id, plotly_url, height, config, select ("points" or
//         ""), preview, lazy}
// preview: a static SVG picture (preview.js drawPreview) stands in until plotly.js is ready.
// lazy: this chart never starts plotly.js itself before LAZY_MS: a chart lower on the page
//       leaves the first picture (the player's preview, or the first chart's) to paint first.
// A click on a point (select = "points") sets the trigger "selection" to
// {points: [{curve_number, point_number, point_index, x, y, z, customdata}], point_indices,
//  box: [], lasso: []}, the shape st.plotly_chart's selection state has.
const LAZY_MS = 1500;

// the Streamlit theme, as its frontend applies it: merged (deeply) into the template's layout,
// the title in bold
function isObj(v) { return v && typeof v === "object" && !Array.isArray(v); }
function deepMerge(base, over) {
  const out = Object.assign({}, base);
  for (const [k, v] of Object.entries(over || {})) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}
function themed(fig, theme) {
  const L = Object.assign({}, fig.layout);
  const T = Object.assign({}, isObj(L.template) ? L.template : {});
  T.layout = deepMerge(isObj(T.layout) ? T.layout : {}, theme || {});
  L.template = T;
  if (L.title !== undefined && L.title !== null) {
    const t = typeof L.title === "string" ? { text: L.title } : isObj(L.title) ? L.title : {};
    L.title = Object.assign({}, t, { text: `<b>${typeof t.text === "string" ? t.text : ""}</b>` });
  }
  return Object.assign({}, fig, { layout: L });
}

function pointOf(p) {
  const plainValue = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : v);
  const out = { curve_number: p.curveNumber, point_number: p.pointNumber, point_index: p.pointIndex };
  for (const k of ["x", "y", "z", "customdata", "text", "hovertext"]) if (p[k] !== undefined) out[k] = plainValue(p[k]);
  return out;
}

function whenPlotly(url, lazy) {
  if (!lazy || window.Plotly || REG.plotly) return loadPlotly(url);
  return new Promise((resolve) => {  // someone else (the player, a first chart) starts it, or we do
    const t0 = performance.now();
    const poll = () => {
      if (window.Plotly || REG.plotly || performance.now() - t0 > LAZY_MS) resolve(loadPlotly(url));
      else setTimeout(poll, 100);
    };
    poll();
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  const root = parentElement;
  let F = root.__mpeFig;
  if (!F || !F.box.isConnected) {
    const box = document.createElement("div");
    box.className = "mpe-figure";
    const gd = document.createElement("div");
    gd.className = "mpe-figure-plot";
    box.appendChild(gd);
    const msg = document.createElement("div");
    msg.className = "mpe-msg";
    box.appendChild(msg);
    root.appendChild(box);
    F = root.__mpeFig = { box, gd, msg, figId: null, preview: null };
  }
  F.triggers = setTriggerValue;
  F.gd.style.height = (data.height || 450) + "px";
  if (F.figId === data.fig_id) return;  // the same figure: already drawn (or on its way)
  F.figId = data.fig_id;
  const fig = themed(typeof data.fig === "string" ? JSON.parse(data.fig) : data.fig, data.theme);
  const unpreview = () => {
    if (F.previewSizer) { F.previewSizer.disconnect(); F.previewSizer = null; }
    if (F.preview) { F.preview.remove(); F.preview = null; }
  };
  unpreview();
  if (data.preview && !window.Plotly) {
    F.preview = drawPreview(F.gd, fig, 0);
    if (F.preview) {
      mark("mpe:preview");
      requestAnimationFrame(() => mark("mpe:painted"));
      // the column may still settle (a scroll bar, the sidebar): redrawn at its new width, so
      // the picture sits where Plotly will draw (as the player's preview)
      let width = F.gd.clientWidth;
      if (window.ResizeObserver) {
        F.previewSizer = new ResizeObserver(() => {
          if (!F.preview || !F.gd.clientWidth || F.gd.clientWidth === width) return;
          width = F.gd.clientWidth;
          F.preview.remove();
          F.preview = drawPreview(F.gd, fig, 0);
        });
        F.previewSizer.observe(F.gd);
      }
    }
  }
  const id = data.fig_id;
  const draw = () => whenPlotly(data.plotly_url, data.lazy).then((Plotly) => {
    if (F.figId !== id) return;
    const config = Object.assign({ displaylogo: false, responsive: true }, data.config || {});
    const rm = new Set(config.modeBarButtonsToRemove || []);
    ["lasso2d", "select2d", "sendChartToCloud"].forEach((b) => rm.add(b));  // as st.plotly_chart
    config.modeBarButtonsToRemove = [...rm];
    const layout = Object.assign({}, fig.layout);
    delete layout.width;  // the column's width, as st.plotly_chart
    if (data.select) { layout.clickmode = layout.clickmode || "event"; layout.hovermode = layout.hovermode || "closest"; }
    return Plotly.react(F.gd, fig.data || [], layout, config).then(() => {
      if (F.figId !== id) return;
      unpreview();
      mark("mpe:fig-drawn");
      F.gd.dataset.ready = id;
      if (!F.sizer && window.ResizeObserver) {
        // Plotly's "responsive" follows the window only; the column can change without it
        // (lecture mode collapsing the sidebar): follow the element's width, as Streamlit does
        let width = F.gd.clientWidth, queued = false;
        F.sizer = new ResizeObserver(() => {
          if (queued || !F.gd.clientWidth || F.gd.clientWidth === width) return;
          queued = true;
          requestAnimationFrame(() => {
            queued = false;
            width = F.gd.clientWidth;
            if (F.gd.isConnected && F.gd._fullLayout) Plotly.Plots.resize(F.gd);
          });
        });
        F.sizer.observe(F.gd);
      }
      if (data.select && !F.gd.__mpeSelect) {
        F.gd.__mpeSelect = true;
        F.gd.on("plotly_click", (ev) => {
          const pts = ((ev && ev.points) || []).map(pointOf);
          if (!pts.length || !F.triggers) return;
          F.triggers("selection", { points: pts, point_indices: pts.map((p) => p.point_index).filter((v) => v !== undefined), box: [], lasso: [] });
        });
      }
    });
  }).catch((err) => {
    F.msg.textContent = "The chart could not be drawn: " + err.message;
  });
  // with a preview, plotly.js (one long main-thread task) starts after the browser painted it
  if (F.preview && !REG.plotly) requestAnimationFrame(() => setTimeout(draw, 0));
  else draw();
}
