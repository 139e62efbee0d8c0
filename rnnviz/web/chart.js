// rnnviz's chart element (Streamlit components v2, no iframe): one Plotly chart per key,
// mounted once and updated in place with Plotly.react, so an edit never re-creates the chart.
//
// Trusted code, untrusted data: everything that comes from a visitor (sentences, vocabularies,
// labels) arrives inside `data.figure` as JSON and reaches the page only through Plotly, which
// draws text as SVG text nodes; nothing here writes HTML.
//
// data: {figure: {data, layout, frames} (Plotly JSON), config: {...}, clickable: bool,
//        play: null | {frames: [names], T, seconds, token}}

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

// Play in the browser: the page's step counter hands the element the frames to show (their
// names are the steps t), one every `seconds`; no script run per step. The element shows
// the counter meanwhile ("▶ t = 7 of 12") and, when it stops (the last frame, or the page's
// Pause), reports the step shown as its state value
// "step", so the page's one counter takes it over (a single run).
function stepLabel(parent) {
  let bar = parent.querySelector(":scope > div.rnnviz-play");
  if (!bar) {
    bar = document.createElement("div");
    bar.className = "rnnviz-play";
    bar.setAttribute("role", "status");
    parent.insertBefore(bar, parent.firstChild);
  }
  return bar;
}

function stopPlay(div, parent, report) {
  if (!div.rnnvizPlay) return false;
  clearTimeout(div.rnnvizPlay.timer);
  const shown = div.rnnvizPlay.shown;
  div.rnnvizPlay = null;
  const bar = parent.querySelector(":scope > div.rnnviz-play");
  if (bar) bar.remove();
  if (report && shown !== null && div.rnnvizSetState) {
    div.rnnvizSetState("step", { t: Number(shown), at: Date.now() });
  }
  return true;
}

function startPlay(div, parent, Plotly, play) {
  const frames = play.frames || [];
  const state = { timer: null, shown: null, token: play.token };
  div.rnnvizPlay = state;
  const label = stepLabel(parent);
  let i = 0;
  const tick = () => {
    if (div.rnnvizPlay !== state) return;
    if (i >= frames.length) { stopPlay(div, parent, true); return; }
    const name = frames[i++];
    state.shown = name;
    div.dataset.step = name;
    label.textContent = `▶ t = ${name} of ${play.T}`;
    Plotly.animate(div, [name], {
      mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 },
    });
    state.timer = setTimeout(tick, (play.seconds || 0.8) * 1000);
  };
  tick();
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data || !data.figure) return;
  const div = chartDiv(parentElement);
  div.rnnvizSetState = setStateValue;          // the latest run's setter, read by the click
  const play = data.play || null;
  if (div.rnnvizPlay && (!play || play.token !== div.rnnvizPlay.token)) {
    // The page paused (or a new play began): stop here and hand the step shown back; the
    // figure of this run shows the step the play began from, so it is not drawn: the run
    // that follows the report draws the step where the play stopped.
    if (stopPlay(div, parentElement, true) && !play) return;
  }
  if (play && div.rnnvizPlay && play.token === div.rnnvizPlay.token) return;   // playing
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
  }).then(() => {
    bindClick(div, Plotly, data.clickable);
    if (play && play.frames && play.frames.length) startPlay(div, parentElement, Plotly, play);
  })).then(() => {
    div.dataset.drawn = div.dataset.revision;
  }).catch((err) => {
    div.textContent = "The chart could not be drawn: " + String(err && err.message || err);
  });
}
