// rnnviz's chart element (Streamlit components v2, no iframe): one Plotly chart per key,
// mounted once and updated in place with Plotly.react, so an edit never re-creates the chart.
//
// Trusted code, untrusted data: everything that comes from a visitor (sentences, vocabularies,
// labels) arrives inside `data.figure` as JSON and reaches the page only through Plotly, which
// draws text as SVG text nodes; nothing here writes HTML.
//
// data: {figure: {data, layout, frames} (Plotly JSON), config: {...}, clickable: bool,
//        play: null | {frames: [names], T, seconds, token}}

const PLOTLY_URL = new URL("./plotly-cartesian.min.js", import.meta.url).href;
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

// The user's view: axes the user zoomed or panned keep that range while the figures that
// follow have the same axes (uirevision), even when a new figure opens at another range
// (Plotly.react lets a changed figure value win over the user's).
function bindView(div) {
  if (div.dataset.viewBound) return;
  div.dataset.viewBound = "1";
  div.on("plotly_relayout", (event) => {
    const axes = new Set(Object.keys(event || {})
      .filter((k) => /^[xy]axis\d*\.(range|autorange)/.test(k)).map((k) => k.split(".")[0]));
    if (!axes.size) return;
    div.rnnvizView = div.rnnvizView || {};
    for (const axis of axes) {
      const a = div.layout[axis] || {};
      div.rnnvizView[axis] = a.autorange ? null : (a.range || []).slice();
    }
  });
}

function keepView(div, layout) {
  if (div.dataset.uirev !== String(layout.uirevision)) {
    div.rnnvizView = null;                  // other axes: the view starts over
    div.dataset.uirev = String(layout.uirevision);
    return;
  }
  for (const [axis, range] of Object.entries(div.rnnvizView || {})) {
    layout[axis] = Object.assign({}, layout[axis],
      range ? { range, autorange: false } : { autorange: true });
  }
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

// The plays under way, by the element's key: the state outlives a DOM node that Streamlit
// replaces between runs, and the latest run's setter is the one that reports.
const PLAYS = new Map();

function stopPlay(key, report) {
  const state = PLAYS.get(key);
  if (!state) return false;
  PLAYS.delete(key);
  clearTimeout(state.timer);
  if (state.bar && state.bar.isConnected) state.bar.remove();
  if (report && state.shown !== null && state.setState) {
    state.setState("step", { t: Number(state.shown), at: Date.now() });
  }
  return true;
}

function startPlay(key, div, parent, Plotly, play, setState) {
  const frames = play.frames || [];
  const state = { timer: null, shown: null, token: play.token, setState, bar: stepLabel(parent) };
  PLAYS.set(key, state);
  let i = 0;
  const tick = () => {
    if (PLAYS.get(key) !== state) return;
    if (i >= frames.length || !div.isConnected) { stopPlay(key, true); return; }
    const name = frames[i++];
    state.shown = name;
    div.dataset.step = name;
    state.bar.textContent = `▶ t = ${name} of ${play.T}`;
    Plotly.animate(div, [name], {
      mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 },
    });
    state.timer = setTimeout(tick, (play.seconds || 0.8) * 1000);
  };
  tick();
}

// Drawing order: what the person is looking at first. Every figure received waits here, by
// its chart's DOM node, and the charts are drawn one at a time: those on screen at once; the
// others within NEAR_PX of the screen, by how far they are from it, once the browser has been
// idle (Streamlit has drawn the rest of the run, whose charts on screen may still come) or
// IDLE_WAIT_MS have passed, once per batch; page order among equals. A newer figure for a
// chart still waiting replaces the older (a fast what-if loop draws only the latest), and the
// browser gets a turn between two charts (input, paint).
//
// A chart farther than NEAR_PX from the screen (or hidden: a closed expander) is not drawn
// until it comes that near (a scroll, a resize, an expander opened): like an image with
// loading="lazy", no time goes to charts nobody is looking at, and the ones on screen get the
// cores. Meanwhile it keeps its size (min-height: the figure's height) and, when it shows an
// older figure, is dimmed (class rnnviz-stale) with data-waiting = the revision it waits to
// draw.
const PENDING = new Map();
const WAITING = new Map();
const IDLE_WAIT_MS = 200;
const NEAR_PX = 400;
let draining = false;
let waited = false;                // this batch has had its wait for idle
let idleWait = null;               // the pending wait (requestIdleCallback's handle)

function distanceFromView(el) {
  if (!el.isConnected) return Infinity;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return Infinity;          // hidden: a closed tab
  if (r.bottom > 0 && r.top < window.innerHeight) return 0;
  return r.top >= window.innerHeight ? r.top - window.innerHeight : -r.bottom;
}

function kick() {
  if (!draining) {
    draining = true;
    setTimeout(() => drawNext(false), 0);
  }
}

// A chart that waits far from the screen: marked, and drawn once it comes near (`wake`).
let visibility = null;             // IntersectionObserver: a hidden chart shown, a jump
function park(div, job) {
  for (const [d, j] of WAITING) {                  // charts of a page left behind
    if (!j.el.isConnected) { WAITING.delete(d); if (visibility) visibility.unobserve(j.el); }
  }
  WAITING.set(div, job);
  div.dataset.waiting = div.dataset.revision;
  if (div.dataset.drawn) div.classList.add("rnnviz-stale");
  if (!visibility && window.IntersectionObserver) {
    visibility = new IntersectionObserver(() => wake());
  }
  if (visibility) visibility.observe(job.el);
}

function unpark(div) {                             // dimmed until its figure is drawn
  WAITING.delete(div);
  delete div.dataset.waiting;
}

let waking = false;
function wake() {
  if (waking || !WAITING.size) return;
  waking = true;
  requestAnimationFrame(() => {
    waking = false;
    for (const [div, job] of WAITING) {
      if (!job.el.isConnected) {
        WAITING.delete(div);
        if (visibility) visibility.unobserve(job.el);
      } else if (distanceFromView(job.el) <= NEAR_PX) {
        if (visibility) visibility.unobserve(job.el);
        unpark(div);
        PENDING.set(div, job);
      }
    }
    if (PENDING.size) kick();
  });
}
document.addEventListener("scroll", wake, { capture: true, passive: true });
window.addEventListener("resize", wake);

function drawNext(idle) {
  let next = null;
  let best = Infinity;
  for (const [div, job] of PENDING) {
    const d = distanceFromView(job.el);
    if (next === null || d < best) { next = div; best = d; }
  }
  if (next !== null && best > NEAR_PX) {           // the rest is far from the screen
    for (const [div, job] of PENDING) park(div, job);
    PENDING.clear();
    next = null;
  }
  if (next === null) { draining = false; waited = false; return; }
  if (idle) waited = true;
  if (best > 0 && !waited && window.requestIdleCallback) {
    idleWait = window.requestIdleCallback(() => { idleWait = null; drawNext(true); },
                                          { timeout: IDLE_WAIT_MS });
    return;
  }
  const job = PENDING.get(next);
  PENDING.delete(next);
  job.draw().finally(() => setTimeout(() => drawNext(false), 0));
}

function schedule(div, el, draw, height) {
  div.style.minHeight = `${height}px`;           // its place kept before it is drawn
  if (WAITING.has(div)) {
    if (visibility) visibility.unobserve(WAITING.get(div).el);
    unpark(div);
  }
  PENDING.set(div, { el, draw });
  if (!draining) {
    kick();
  } else if (idleWait !== null && distanceFromView(el) === 0) {
    window.cancelIdleCallback(idleWait);       // a chart on screen does not wait
    idleWait = null;
    setTimeout(() => drawNext(false), 0);
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, key } = component;
  if (data && data.preload) { loadPlotly(); return; }  // the frame's first element: fetch early
  if (!data || !data.figure) return;
  const div = chartDiv(parentElement);
  div.rnnvizSetState = setStateValue;          // the latest run's setter, read by the click
  const play = data.play || null;
  const running = PLAYS.get(key);
  if (running) running.setState = setStateValue;
  if (running && (!play || play.token !== running.token)) {
    // The page paused (or a new play began): stop here and hand the step shown back; the
    // figure of this run shows the step the play began from, so it is not drawn: the run
    // that follows the report draws the step where the play stopped.
    if (stopPlay(key, true) && !play) return;
  }
  if (play && PLAYS.has(key) && play.token === PLAYS.get(key).token) return;   // playing
  // A copy: Plotly writes into the objects it draws, and Streamlit's data is not ours to change.
  const fig = typeof data.figure === "string" ? JSON.parse(data.figure)
    : structuredClone(data.figure);
  const layout = fig.layout || {};
  // The user's zoom survives an edit where the axes did not change (Plotly's uirevision).
  if (layout.uirevision === undefined) layout.uirevision = "keep";
  keepView(div, layout);
  const config = Object.assign({ responsive: true }, data.config || {});
  const revision = String((Number(div.dataset.revision) || 0) + 1);
  div.dataset.revision = revision;
  schedule(div, parentElement, () => loadPlotly().then((Plotly) => Plotly.react(div, {
    data: fig.data || [], layout, config, frames: fig.frames || [],
  }).then(() => {
    bindClick(div, Plotly, data.clickable);
    bindView(div);
    if (play && play.frames && play.frames.length) {
      startPlay(key, div, parentElement, Plotly, play, setStateValue);
    }
  })).then(() => {
    div.dataset.drawn = revision;
  }).catch((err) => {
    div.textContent = "The chart could not be drawn: " + String(err && err.message || err);
  }).finally(() => {
    if (!div.dataset.waiting) div.classList.remove("rnnviz-stale");
  }), Number(layout.height) || 450);                  // Plotly's default height
  // Streamlit calls this when the element goes (a page switch, a tab closed). A chart that
  // has left the page is purged: with `responsive`, Plotly keeps a window resize listener that
  // holds the chart and its data until then. One still on the page (an update) is kept.
  return () => setTimeout(() => {
    if (!div.isConnected && window.Plotly) window.Plotly.purge(div);
  }, 0);
}
