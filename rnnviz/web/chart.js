// rnnviz's chart element (Streamlit components v2, no iframe): one Plotly chart per key,
// mounted once and updated in place with Plotly.react, so an edit never re-creates the chart.
//
// Trusted code, untrusted data: everything that comes from a visitor (sentences, vocabularies,
// labels) arrives inside `data.figure` as JSON and reaches the page only through Plotly, which
// draws text as SVG text nodes; nothing here writes HTML.
//
// data: {figure: {data, layout, frames} (Plotly JSON), config: {...}, clickable: bool}

const PLOTLY_URL = new URL("./plotly.min.js", import.meta.url).href;
let plotlyLoading = null;

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_URL;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js could not be loaded"));
      document.head.appendChild(script);
    });
  }
  return plotlyLoading;
}

function chartDiv(parent) {
  let div = parent.querySelector(":scope > div.rnnviz-chart");
  if (!div) {
    div = document.createElement("div");
    div.className = "rnnviz-chart";
    parent.appendChild(div);
  }
  return div;
}

// A click on a point, sent back as the component's state value "click" (a rerun). Only the
// point's numbers and the values Plotly holds for it travel; nothing is read from the DOM.
function clickedPoint(event) {
  const p = event && event.points && event.points[0];
  if (!p) return null;
  const plain = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  return {
    curve: p.curveNumber, point: plain(p.pointNumber !== undefined ? p.pointNumber : p.pointNumbers),
    x: plain(p.x), y: plain(p.y), customdata: plain(p.customdata), at: Date.now(),
  };
}

function bindClick(div, Plotly, clickable) {
  if (!clickable || div.dataset.clickBound) return;
  div.dataset.clickBound = "1";
  div.on("plotly_click", (event) => {
    const point = clickedPoint(event);
    if (point && div.rnnvizSetState) div.rnnvizSetState("click", point);
  });
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data || !data.figure) return;
  const div = chartDiv(parentElement);
  div.rnnvizSetState = setStateValue;          // the latest run's setter, read by the click
  // A copy: Plotly writes into the objects it draws, and Streamlit's data is not ours to change.
  const fig = typeof data.figure === "string" ? JSON.parse(data.figure)
    : structuredClone(data.figure);
  const layout = fig.layout || {};
  // The user's zoom survives an edit where the axes did not change (Plotly's uirevision).
  if (layout.uirevision === undefined) layout.uirevision = "keep";
  const config = Object.assign({ responsive: true }, data.config || {});
  div.dataset.revision = String((Number(div.dataset.revision) || 0) + 1);
  loadPlotly().then((Plotly) => Plotly.react(div, {
    data: fig.data || [], layout, config, frames: fig.frames || [],
  }).then(() => bindClick(div, Plotly, data.clickable))).then(() => {
    div.dataset.drawn = div.dataset.revision;
  }).catch((err) => {
    div.textContent = "The chart could not be drawn: " + String(err && err.message || err);
  });
}
