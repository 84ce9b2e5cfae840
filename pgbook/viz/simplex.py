r"""The simplex figure: PG against NPG from a starting policy the reader picks, in any page or notebook.

:func:`figure` turns a :class:`pgbook.theory.simplex.Sweep` (PG and NPG precomputed from a grid of starts,
for a few step sizes and discounts) into one self-contained piece of HTML: two inline SVG panels,
the controls, the trajectories as compact binary data, and a short script. The reader clicks (or
drags) on the left panel to choose the start; the script snaps to the nearest precomputed start and
draws both paths, PG's solid with square markers and NPG's dashed with round ones, a marker at every
power of ten of the iteration count, and on the right the suboptimality
:math:`V^\star(\rho) - V^{(t)}(\rho)` of both runs against t on log-log axes. Besides the step size
(and the discount):

- **time**: a play button and a scrubber over the recorded iterations (log-spaced) move both
  iterates together, on the left panel and on the curves (drawn at every animation frame,
  interpolated between records);
- **PG's step**: the same η as NPG; NPG's mean KL divergence per step (PG's direction with NPG's
  step length, :func:`pgbook.algorithms.softmax_pg_kl`), when the sweep holds ``"pg_kl"``; or a
  step size of its own, up to the largest of ``pg_steps``;
- **view**: the policy on the simplex, or its logits :math:`\theta` (centred: the shift common to
  all actions, which leaves the policy unchanged, removed) on the plane, where NPG's iterates on a
  bandit move on a straight line at constant speed;
- **the URL**: in the built book the page's fragment follows the state
  (``#bandit?start=0.001,0.998,0.001&eta=0.3&mode=kl&t=3000&view=simplex``), and opening such a
  link restores it and scrolls to the figure.

The panels sit side by side, or one above the other when the figure is narrower than 600 px (a
phone), with controls large enough to touch. Text and axes take the colour of the surrounding
text, and the two methods' colours switch to a lighter palette when that text is light or the
book's theme is dark.

Why precomputed data and a script, not pre-rendered images: one start x step size x discount x
mode x time combination per image would need hundreds of thousands of frames; the data of all of
them is a few hundred kilobytes, and the drawing is exact at any zoom. The same output works in
the static HTML book (no kernel), in JupyterLab (trusted outputs run scripts) and in Colab (output
iframes run scripts); it needs no CDN.

Encoding: for each series (block of methods and step sizes, discount, step size, start) ``PLANES``
uint16 planes of length K: :math:`\pi_0` and :math:`\pi_2` scaled to [0, 65535]; :math:`\log_{10}`
of the suboptimality clipped to [``LOG_GAP_MIN``, ``LOG_GAP_MAX``] and scaled; and the logits'
position on the plane, clipped to the square of half-width ``LOGIT_BOX``, each rounded to
``QUANTUM``. Each series is stored as differences along t (mod 2^16) and the whole array is
zlib-compressed, then base64. The browser decompresses it with ``DecompressionStream("deflate")``
(Chrome 80, Firefox 113, Safari 16.4 and later).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import zlib

import numpy as np

from .. import _validate as validate
from ..theory.simplex import Sweep, to_plane
from .interactive import STATIC_ENV

#: The suboptimality axis, as powers of ten: values below ``10**LOG_GAP_MIN`` are drawn at its floor.
LOG_GAP_MIN, LOG_GAP_MAX = -12.0, 0.0

#: Half-width of the logit panel's window, and of the square the stored logits are clipped to (a
#: path that leaves the window is drawn up to the window's edge; the margin keeps the clipping out
#: of sight).
LOGIT_VIEW, LOGIT_BOX = 12.0, 18.0

#: The planes of each series: pi_0, pi_2, log10 of the gap, and the logits' plane coordinates x, y.
PLANES = 5

#: Rounding of the stored uint16 values: 1/4096 of a side, 1/1024 of the gap axis, and 1/2048 of the
#: logit box (0.018 logit units, a tenth of a pixel).
QUANTUM = np.array([16.0, 16.0, 64.0, 32.0, 32.0])

#: Colour-blind-safe colours of PG and NPG, for dark text on a light background ("light") and for light
#: text on a dark one ("dark"): Okabe-Ito hues, the vermillion darkened for a contrast of 3
#: or more also on the grey output areas of the book's dark mode.
COLOURS = {"light": ("#B84A00", "#0072B2"), "dark": ("#F0A04B", "#56B4E9")}

#: The ways PG's step is chosen: the label of each, as the reader sees it.
MODES = {"same": "the same η as NPG", "kl": "NPG's KL per step", "own": "a step size of its own"}

#: The two views of the left panel.
VIEWS = {"simplex": "policy π (simplex)", "logits": "logits θ"}

#: SVG layout (viewBox units) of the two panels: the triangle (origin, side) and the logit plane
#: (centre, pixels per logit unit) on the left; the curves' box on the right.
GEOMETRY = {"width": 380, "height": 360, "ox": 40, "oy": 322, "side": 300,
            "lx": 190, "ly": 190, "lscale": 145 / LOGIT_VIEW,
            "cx": 64, "cy": 34, "cw": 296, "ch": 276}

#: A figure's name in the page's URL fragment: lower-case words joined by hyphens.
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

_CSS = """
.pgbook-simplex{--pgs-pg:%(pg)s;--pgs-npg:%(npg)s;--pgs-faint:rgba(128,128,128,.45);
  --pgs-bg:var(--pst-color-background,var(--jp-layout-color0,#fff));margin:.8em 0;max-width:52rem;
  font-variant-numeric:tabular-nums;container-type:inline-size}
.pgbook-simplex.pgs-dark{--pgs-pg:%(pg_dark)s;--pgs-npg:%(npg_dark)s;
  --pgs-bg:var(--pst-color-background,var(--jp-layout-color0,#111))}
.pgbook-simplex .pgs-hint{margin:0 0 .3em;font-size:.92em}
.pgbook-simplex .pgs-legend{display:flex;flex-wrap:wrap;gap:.2em 1.4em;font-size:.92em;align-items:center}
.pgbook-simplex .pgs-legend svg{width:36px;height:14px;vertical-align:middle;margin-right:.3em}
.pgbook-simplex .pgs-panels{display:flex;align-items:flex-start}
.pgbook-simplex .pgs-panels svg{flex:1 1 0;min-width:0;width:50%%;height:auto;display:block;color:inherit;
  touch-action:none;user-select:none;-webkit-user-select:none}
.pgbook-simplex svg text{fill:currentColor;font-size:14px;font-family:inherit}
.pgbook-simplex .pgs-left:focus{outline:none}
.pgbook-simplex .pgs-left:focus-visible{outline:3px solid var(--pgs-npg);outline-offset:-3px;border-radius:6px}
.pgbook-simplex .pgs-keys{display:none}
.pgbook-simplex .pgs-left:focus-visible .pgs-keys{display:inline}
.pgbook-simplex .pgs-axis{stroke:currentColor;stroke-width:1;fill:none;opacity:.8}
.pgbook-simplex .pgs-grid{stroke:var(--pgs-faint);stroke-width:.6;fill:none}
.pgbook-simplex .pgs-start{fill:var(--pgs-faint)}
.pgbook-simplex .pgs-pg{stroke:var(--pgs-pg);fill:none;stroke-width:2.4}
.pgbook-simplex .pgs-npg{stroke:var(--pgs-npg);fill:none;stroke-width:2.4;stroke-dasharray:7 3}
.pgbook-simplex .pgs-ahead{opacity:.3}
.pgbook-simplex .pgs-mark-pg{fill:var(--pgs-pg)}
.pgbook-simplex .pgs-mark-npg{fill:var(--pgs-npg)}
.pgbook-simplex .pgs-now{stroke:var(--pgs-bg);stroke-width:1.6}
.pgbook-simplex text.pgs-label-pg,.pgbook-simplex text.pgs-label-npg{font-size:12.5px;paint-order:stroke;
  stroke:var(--pgs-bg);stroke-width:3.5px;stroke-linejoin:round}
.pgbook-simplex text.pgs-label-pg{fill:var(--pgs-pg)}
.pgbook-simplex text.pgs-label-npg{fill:var(--pgs-npg)}
.pgbook-simplex .pgs-here{fill:none;stroke:currentColor;stroke-width:1.6}
.pgbook-simplex .pgs-cursor{stroke:currentColor;stroke-width:1;stroke-dasharray:3 3;opacity:.7}
.pgbook-simplex .pgs-best{font-weight:bold}
.pgbook-simplex .pgs-time,.pgbook-simplex .pgs-controls{display:flex;flex-wrap:wrap;gap:.4em 1.4em;align-items:center;
  margin-top:.35em}
.pgbook-simplex .pgs-time label{flex:1 1 16em;display:flex;align-items:center;gap:.5em}
.pgbook-simplex .pgs-time input{flex:1 1 auto;width:auto}
.pgbook-simplex label{display:flex;align-items:center;gap:.5em}
.pgbook-simplex input[type=range]{width:11em;accent-color:var(--pgs-npg)}
.pgbook-simplex button,.pgbook-simplex .pgs-seg label{font:inherit;font-size:.9em;padding:.15em .6em;
  border:1px solid var(--pgs-faint);border-radius:4px;background:transparent;color:inherit;cursor:pointer}
.pgbook-simplex button.pgs-play{min-width:5.6em;font-weight:bold}
.pgbook-simplex fieldset.pgs-seg{display:flex;flex-wrap:wrap;align-items:center;gap:.3em;border:0;margin:0;padding:0}
.pgbook-simplex fieldset.pgs-seg legend{float:left;width:auto;margin:0 .3em 0 0;padding:0;font:inherit;line-height:inherit}
.pgbook-simplex .pgs-seg input{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.pgbook-simplex .pgs-seg label:has(input:checked){border-color:currentColor;font-weight:bold}
.pgbook-simplex .pgs-seg label:has(input:focus-visible){outline:2px solid var(--pgs-npg);outline-offset:1px}
.pgbook-simplex [hidden]{display:none!important}
.pgbook-simplex .pgs-readout{margin-top:.35em;font-size:.92em}
@container (max-width: 600px){
  .pgbook-simplex .pgs-panels{flex-direction:column}
  .pgbook-simplex .pgs-panels svg{width:100%%;flex:none}
  .pgbook-simplex .pgs-controls{flex-direction:column;align-items:stretch}
  .pgbook-simplex label{justify-content:space-between}
  .pgbook-simplex input[type=range]{width:auto;flex:1 1 auto;height:44px}
  .pgbook-simplex button,.pgbook-simplex .pgs-seg label{min-height:44px;padding:.3em .8em;font-size:1em;
    display:inline-flex;align-items:center}
  .pgbook-simplex .pgs-presets{flex-wrap:wrap}
}
"""

_SCRIPT = r"""(function () {
  // The script's own parent when it runs as the page loads or as JupyterLab re-inserts it
  // (perhaps before the output is attached to the document); the id otherwise.
  var me = document.currentScript;
  var root = me && me.parentElement && me.parentElement.id === "%(id)s" ? me.parentElement : document.getElementById("%(id)s");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var D = JSON.parse(root.querySelector("script.pgbook-simplex-data").textContent);
  var NS = "http://www.w3.org/2000/svg", left = root.querySelector("svg.pgs-left"), right = root.querySelector("svg.pgs-right");
  var G = D.gammas.length, E = D.etas.length, N = D.starts.length, K = D.steps.length, P = D.planes;
  var geo = D.geometry, R3 = Math.sqrt(3) / 2, T = D.steps[K - 1], LT = Math.log10(T), U = null;
  var st = {g: D.initial.g, e: D.initial.e, pe: D.initial.pe, mode: D.initial.mode, n: D.initial.n, k: D.initial.k, view: D.initial.view};
  var METHODS = ["pg", "npg"], SUP = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function pow10(d) { return d === 0 ? "1" : "10" + (d > 1 ? String(d).split("").map(function (c) { return SUP[+c]; }).join("") : ""); }
  function tlabel(t) { return Math.round(t).toLocaleString("en"); }
  function fmt(x) { return x <= Math.pow(10, D.log_gap[0]) ? "< 1e" + D.log_gap[0] : x >= 1e-3 ? x.toPrecision(2) : x.toExponential(1); }
  // Coordinates: the triangle (action 0 at the top), the logit plane (the same orientation), the curves.
  function sx(p0, p2) { return [geo.ox + geo.side * (p2 + p0 / 2), geo.oy - geo.side * R3 * p0]; }
  function lx(x, y) { return [geo.lx + geo.lscale * x, geo.ly - geo.lscale * y]; }
  function cx(t) { return geo.cx + geo.cw * Math.log10(t) / LT; }
  function cy(lg) {
    lg = Math.min(D.log_gap[1], Math.max(D.log_gap[0], lg));
    return geo.cy + geo.ch * (D.log_gap[1] - lg) / (D.log_gap[1] - D.log_gap[0]);
  }
  // Where each series lives in the data: a block (a method of a sweep), the discount, the step size, the start.
  function offset(b, g, e, n) { var B = D.blocks[b]; return (B.first + (g * B.E + e) * N + n) * P * K; }
  function series(m) {
    if (m === 1) return offset(D.npg, st.g, st.e, st.n);
    if (st.mode === "kl") return offset(D.pg_kl, st.g, st.e, st.n);
    if (st.mode === "own") return st.pe < E ? offset(D.pg, st.g, st.pe, st.n) : offset(D.pg_big, st.g, st.pe - E, st.n);
    return offset(D.pg, st.g, st.e, st.n);
  }
  function value(o, p, k) { return U[o + p * K + k] / 65535; }
  function logGap(o, k) { return D.log_gap[0] + (D.log_gap[1] - D.log_gap[0]) * value(o, 2, k); }
  function spot(o, k) {
    if (st.view === "logits") return lx((2 * value(o, 3, k) - 1) * D.logit_box, (2 * value(o, 4, k) - 1) * D.logit_box);
    return sx(value(o, 0, k), value(o, 1, k));
  }
  // The starts where the view draws them, in SVG units: for clicks and the arrow keys.
  var XY = {simplex: D.starts.map(function (p) { return sx(p[0], p[2]); }),
            logits: D.start_logits.map(function (z) { return lx(z[0], z[1]); })};

  // --- the static parts: triangle, logit plane, axes of the curves -----------------------------------
  var simplexLayer = el("g", {"class": "pgs-simplex-view"}, left), logitLayer = el("g", {"class": "pgs-logit-view"}, left);
  var tri = [sx(1, 0), sx(0, 0), sx(0, 1)];
  el("polygon", {"class": "pgs-axis", points: tri.map(function (p) { return p.join(","); }).join(" ")}, simplexLayer);
  XY.simplex.forEach(function (q) { el("circle", {"class": "pgs-start", cx: q[0], cy: q[1], r: 1.6}, simplexLayer); });
  var vlab = [el("text", {x: tri[0][0], y: tri[0][1] - 12, "text-anchor": "middle"}, simplexLayer),
              el("text", {x: tri[1][0] - 4, y: tri[1][1] + 22, "text-anchor": "start"}, simplexLayer),
              el("text", {x: tri[2][0] + 4, y: tri[2][1] + 22, "text-anchor": "end"}, simplexLayer)];
  var W = D.logit_view, box = [lx(-W, W), lx(W, -W)];
  el("rect", {"class": "pgs-axis", x: box[0][0], y: box[0][1], width: box[1][0] - box[0][0], height: box[1][1] - box[0][1]}, logitLayer);
  el("rect", {x: box[0][0], y: box[0][1], width: box[1][0] - box[0][0], height: box[1][1] - box[0][1]}, el("clipPath", {id: root.id + "-clip"}, left));
  // Where two actions are equally likely: the three half-lines between the actions' sectors.
  var llab = [];
  [0, 1, 2].forEach(function (a) {
    var u = [[0, 1], [-R3, -0.5], [R3, -0.5]][a], v = [[0, -1], [R3, 0.5], [-R3, 0.5]][a];
    var end = lx(v[0] * W * 1.2, v[1] * W * 1.2), o = lx(0, 0);
    el("line", {"class": "pgs-grid", x1: o[0], y1: o[1], x2: end[0], y2: end[1], "clip-path": "url(#" + root.id + "-clip)"}, logitLayer);
    var at = lx(u[0] * W * 0.72, u[1] * W * 0.72);
    llab.push(el("text", {x: at[0], y: at[1] + 5, "text-anchor": "middle", opacity: 0.75}, logitLayer));
  });
  XY.logits.forEach(function (q) { el("circle", {"class": "pgs-start", cx: q[0], cy: q[1], r: 1.6}, logitLayer); });
  el("text", {x: box[0][0], y: box[1][1] + 18}, logitLayer, "logits \u03b8, up to a common shift; lines: a tie");
  var keys = el("text", {"class": "pgs-keys", x: 6, y: 16}, left, "\u2190 \u2191 \u2192 \u2193 move the start \u00b7 space plays");
  el("rect", {"class": "pgs-axis", x: geo.cx, y: geo.cy, width: geo.cw, height: geo.ch}, right);
  for (var d = 0; d <= LT + 1e-9; d++) {
    el("line", {"class": "pgs-grid", x1: cx(Math.pow(10, d)), x2: cx(Math.pow(10, d)), y1: geo.cy, y2: geo.cy + geo.ch}, right);
    el("text", {x: cx(Math.pow(10, d)), y: geo.cy + geo.ch + 17, "text-anchor": "middle"}, right, pow10(d));
  }
  for (var l = D.log_gap[1]; l >= D.log_gap[0]; l -= 3) {
    el("line", {"class": "pgs-grid", x1: geo.cx, x2: geo.cx + geo.cw, y1: cy(l), y2: cy(l)}, right);
    el("text", {x: geo.cx - 6, y: cy(l) + 4, "text-anchor": "end"}, right, l === 0 ? "1" : "10\u207b" + String(-l).split("").map(function (c) { return SUP[+c]; }).join(""));
  }
  el("text", {x: geo.cx + geo.cw / 2, y: geo.cy + geo.ch + 38, "text-anchor": "middle"}, right, "iteration t");
  el("text", {x: geo.cx, y: geo.cy - 12}, right, "V\u22c6(\u03c1) \u2212 V(\u03c1), distance to optimal");
  // --- the moving parts ------------------------------------------------------------------------------
  var pathLayer = el("g", {}, left), here = el("circle", {"class": "pgs-here", r: 6.5}, left);
  var curveLayer = el("g", {}, right), cursor = el("line", {"class": "pgs-cursor", y1: geo.cy, y2: geo.cy + geo.ch}, right);
  var moving = METHODS.map(function (m) {
    var cls = "pgs-" + m;
    return {
      ahead: el("path", {"class": "pgs-path pgs-ahead " + cls, "data-method": m.toUpperCase()}, pathLayer),
      done: el("path", {"class": "pgs-done " + cls, "data-method": m.toUpperCase()}, pathLayer),
      marks: el("g", {}, pathLayer),
      curveAhead: el("path", {"class": "pgs-curve pgs-ahead " + cls, "data-method": m.toUpperCase()}, curveLayer),
      curveDone: el("path", {"class": "pgs-curve-done " + cls}, curveLayer),
    };
  });
  // The iterates at time t; PG's on top: where it stalls it hides under nothing. Its marker is a square, NPG's a disc.
  var nowLayer = el("g", {}, left);
  var nowNpg = [el("circle", {"class": "pgs-now pgs-mark-npg", r: 5.5, "data-method": "NPG"}, nowLayer),
                el("circle", {"class": "pgs-now pgs-mark-npg", r: 5, "data-method": "NPG"}, right)];
  var nows = [[el("rect", {"class": "pgs-now pgs-mark-pg", width: 10, height: 10, "data-method": "PG"}, nowLayer),
               el("rect", {"class": "pgs-now pgs-mark-pg", width: 9, height: 9, "data-method": "PG"}, right)], nowNpg];
  left.appendChild(keys);
  function place(shape, xy) {
    if (shape.tagName === "rect") { var s = +shape.getAttribute("width"); shape.setAttribute("x", xy[0] - s / 2); shape.setAttribute("y", xy[1] - s / 2); }
    else { shape.setAttribute("cx", xy[0]); shape.setAttribute("cy", xy[1]); }
  }
  function marker(m, xy, parent) {
    return m === 0 ? el("rect", {"class": "pgs-mark-pg", x: xy[0] - 3.5, y: xy[1] - 3.5, width: 7, height: 7}, parent)
                   : el("circle", {"class": "pgs-mark-npg", cx: xy[0], cy: xy[1], r: 3.6}, parent);
  }
  var readout = root.querySelector(".pgs-readout"), scrub = root.querySelector("input.pgs-scrub");
  var tOut = root.querySelector("output.pgs-t"), play = root.querySelector("button.pgs-play");
  var cache = null;  // the drawn coordinates of the current series, for the time layer

  // Light or dark palette: the book's theme when it says, else the text colour the figure inherits
  // (light text means a dark background, whatever set it: JupyterLab's, Colab's, the reader's system).
  function theme() {
    var said = document.documentElement.getAttribute("data-theme"), dark;
    if (said === "dark" || said === "light") dark = said === "dark";
    else {
      var c = (getComputedStyle(root).color.match(/[\d.]+/g) || [0, 0, 0]).map(Number);
      dark = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 128;
    }
    root.classList.toggle("pgs-dark", dark);
  }
  theme();
  var watch = new MutationObserver(theme);
  [document.documentElement, document.body].forEach(function (e) { watch.observe(e, {attributes: true}); });
  if (window.matchMedia) matchMedia("(prefers-color-scheme: dark)").addEventListener("change", theme);

  // Markers at t = 1, 10, 100, ...: one label for markers that fall on the same spot ("t = 1–10³":
  // the method stayed there), and a label is left out rather than drawn over another.
  var DECADES = [];
  D.steps.forEach(function (t, k) { if (t > 0 && t === Math.pow(10, Math.round(Math.log10(t)))) DECADES.push(k); });
  // Whether a label's box (baseline y, width w) lies inside the triangle: the simplex view only.
  function inside(x, y, w) {
    if (st.view !== "simplex") return true;
    return [[x, y - 12], [x + w, y - 12], [x, y + 3], [x + w, y + 3]].every(function (q) {
      return [0, 1, 2].every(function (i) {
        var a = tri[i], b = tri[(i + 1) % 3], c = tri[(i + 2) % 3];
        var side = function (p) { return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]); };
        return side(q) * side(c) >= 0;
      });
    });
  }
  function labelMarks(pts, placed) {
    [0, 1].forEach(function (m) {  // PG's first: its markers are the ones that pile up
      var groups = [];
      DECADES.forEach(function (k) {
        var p = pts[m][k], last = groups[groups.length - 1];
        if (last && Math.hypot(p[0] - last.xy[0], p[1] - last.xy[1]) < 9) last.ks.push(k);
        else groups.push({xy: p, ks: [k]});
      });
      groups.forEach(function (gr) {
        marker(m, gr.xy, moving[m].marks);
        var a = Math.round(Math.log10(D.steps[gr.ks[0]])), b = Math.round(Math.log10(D.steps[gr.ks[gr.ks.length - 1]]));
        var text = (gr.ks.length > 1 ? "t = " + pow10(a) + "\u2013" + pow10(b) : pow10(a)), w = 7.5 * text.length + 4;
        var right = [[10, 17], [10, 5], [10, -8], [-w / 2, 21], [16, -6]], lefts = [[-10 - w, -8], [-10 - w, 5], [-w / 2, -10], [-10 - w, 17]];
        var tries = m === 0 ? right.concat(lefts) : lefts.concat(right);
        // On the triangle a label goes wholly inside it where it can, so that no edge runs through it.
        tries = tries.filter(function (d) { return inside(gr.xy[0] + d[0], gr.xy[1] + d[1], w); })
          .concat(tries.filter(function (d) { return !inside(gr.xy[0] + d[0], gr.xy[1] + d[1], w); }));
        for (var i = 0; i < tries.length; i++) {
          var x = gr.xy[0] + tries[i][0], y = gr.xy[1] + tries[i][1], r = [x, y - 12, x + w, y + 3];
          if (x < 2 || x + w > geo.width - 2 || y < 14 || y > geo.height - 2) continue;
          if (placed.some(function (q) { return r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3]; })) continue;
          placed.push(r);
          el("text", {"class": "pgs-label-" + METHODS[m], x: x, y: y}, moving[m].marks, text);
          break;
        }
      });
    });
  }
  function poly(pts, upto) {
    var out = [], k0 = Math.floor(upto), f = upto - k0;
    for (var k = 0; k <= Math.min(k0, pts.length - 1); k++) if (pts[k]) out.push(pts[k][0].toFixed(2) + "," + pts[k][1].toFixed(2));
    if (f > 0 && k0 + 1 < pts.length && pts[k0] && pts[k0 + 1]) out.push(lerp(pts[k0], pts[k0 + 1], f).map(function (v) { return v.toFixed(2); }).join(","));
    return out.length ? "M" + out.join("L") : "";
  }
  function lerp(a, b, f) { return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]; }
  function at(pts, k) { var k0 = Math.floor(k), f = k - k0; return k0 + 1 < pts.length && f > 0 ? lerp(pts[k0], pts[k0 + 1], f) : pts[Math.min(k0, pts.length - 1)]; }

  function labels() {
    var pgLabel = st.mode === "kl" ? "PG, NPG's KL per step (η = " + D.eta_labels[st.e] + ")" :
                  st.mode === "own" ? "PG, η = " + D.pg_eta_labels[st.pe] : "PG, η = " + D.eta_labels[st.e];
    root.querySelector(".pgs-legend-pg").textContent = pgLabel;
    root.querySelector(".pgs-legend-npg").textContent = "NPG, η = " + D.eta_labels[st.e];
    root.querySelector(".pgs-own").hidden = st.mode !== "own";
    root.querySelectorAll("input.pgs-input").forEach(function (input) {
      var p = input.getAttribute("data-param");
      input.value = st[p];
      input.parentElement.querySelector("output").textContent = D[{e: "eta_labels", g: "gamma_labels", pe: "pg_eta_labels"}[p]][st[p]];
    });
    root.querySelectorAll("input.pgs-radio").forEach(function (r) { r.checked = st[r.name.split("-").pop()] === r.value; });
    simplexLayer.style.display = st.view === "simplex" ? "" : "none";
    logitLayer.style.display = st.view === "logits" ? "" : "none";
    // The logit plane is unbounded: what leaves its window is cut at the window's edge.
    [pathLayer, nowLayer].forEach(function (layer) {
      if (st.view === "logits") layer.setAttribute("clip-path", "url(#" + root.id + "-clip)");
      else layer.removeAttribute("clip-path");
    });
  }

  function draw() {
    labels();
    var best = D.best[st.g];
    D.actions.forEach(function (a, i) {
      vlab[i].textContent = a + (i === best ? " \u2605" : "");
      vlab[i].setAttribute("class", i === best ? "pgs-best" : "");
      llab[i].textContent = D.short[i] + " likeliest" + (i === best ? " \u2605" : "");
    });
    var pts = [[], []], crv = [[], []], gaps = [[], []];
    METHODS.forEach(function (_, m) {
      var o = series(m);
      for (var k = 0; k < K; k++) {
        pts[m].push(spot(o, k));
        var lg = logGap(o, k);
        gaps[m].push(Math.pow(10, lg));
        crv[m].push(D.steps[k] >= 1 ? [cx(D.steps[k]), cy(lg)] : null);
      }
      while (moving[m].marks.firstChild) moving[m].marks.removeChild(moving[m].marks.firstChild);
      moving[m].ahead.setAttribute("d", poly(pts[m], K - 1));
      moving[m].curveAhead.setAttribute("d", poly(crv[m], K - 1));
    });
    var start = XY[st.view][st.n];
    here.setAttribute("cx", start[0]); here.setAttribute("cy", start[1]);
    cache = {pts: pts, crv: crv, gaps: gaps};
    // The marker labels keep clear of the start and of the view's own labels.
    var taken = [[start[0] - 7, start[1] - 7, start[0] + 7, start[1] + 7]];
    (st.view === "simplex" ? vlab : llab).forEach(function (t) {
      var x = +t.getAttribute("x"), y = +t.getAttribute("y"), w = 7.8 * t.textContent.length, a = t.getAttribute("text-anchor");
      var x0 = a === "middle" ? x - w / 2 : a === "end" ? x - w : x;
      taken.push([x0, y - 13, x0 + w, y + 4]);
    });
    labelMarks(pts, taken);
    root.setAttribute("data-start", st.n);
    root.setAttribute("data-drawn", +(root.getAttribute("data-drawn") || 0) + 1);
    moveTo(st.k);
  }

  // One frame of time: both iterates, the travelled parts of the paths, the markers on the curves.
  function moveTo(k) {
    if (!cache) return;
    var k0 = Math.floor(k), f = k - k0;
    var t = k0 + 1 < K ? D.steps[k0] + f * (D.steps[k0 + 1] - D.steps[k0]) : D.steps[K - 1];
    var now = [];
    METHODS.forEach(function (_, m) {
      moving[m].done.setAttribute("d", poly(cache.pts[m], k));
      moving[m].curveDone.setAttribute("d", k >= 1 ? poly(cache.crv[m], k) : "");
      place(nows[m][0], at(cache.pts[m], k));
      var c = k >= 1 ? at(cache.crv[m], k) : null;
      nows[m][1].style.display = c ? "" : "none";
      if (c) place(nows[m][1], c);
      now.push(k0 + 1 < K && f > 0 ? Math.pow(cache.gaps[m][k0], 1 - f) * Math.pow(cache.gaps[m][k0 + 1], f) : cache.gaps[m][Math.min(k0, K - 1)]);
    });
    cursor.style.display = k >= 1 ? "" : "none";
    if (k >= 1) { cursor.setAttribute("x1", cx(t)); cursor.setAttribute("x2", cx(t)); }
    tOut.textContent = tlabel(t);
    scrub.value = Math.round(k);
    scrub.setAttribute("aria-valuetext", "t = " + tlabel(t));
    var p = D.starts[st.n];
    readout.textContent = "start \u03c0 = (" + p.map(function (x) { return x.toFixed(3); }).join(", ") + ")  \u00b7  at t = " +
      tlabel(t) + ": PG " + fmt(now[0]) + ", NPG " + fmt(now[1]) + " from optimal" +
      (st.view === "logits" && [0, 1].some(function (m) { var q = at(cache.pts[m], k); return Math.abs(q[0] - geo.lx) > geo.lscale * W || Math.abs(q[1] - geo.ly) > geo.lscale * W; }) ? " (an iterate is off the panel)" : "");
    root.setAttribute("data-k", k);
    root.setAttribute("data-frames", +(root.getAttribute("data-frames") || 0) + 1);
  }

  // --- play, pause and scrub: one frame per animation frame, interpolated between the records ---------
  var playing = false, last = 0, DURATION = D.duration_ms;
  function setPlaying(on) {
    playing = on;
    play.textContent = on ? "\u275a\u275a pause" : "\u25b6 play";
    play.setAttribute("aria-pressed", on ? "true" : "false");
    root.setAttribute("data-playing", on ? "1" : "0");
    if (on) { if (st.k >= K - 1) st.k = 0; last = 0; requestAnimationFrame(tick); }
    else { st.k = Math.round(st.k); moveTo(st.k); share(); }
  }
  function tick(time) {
    if (!playing) return;
    if (last) st.k = Math.min(K - 1, st.k + (time - last) / DURATION * (K - 1));
    last = time;
    moveTo(st.k);
    if (st.k >= K - 1) setPlaying(false); else requestAnimationFrame(tick);
  }
  play.addEventListener("click", function () { if (U) setPlaying(!playing); });
  scrub.addEventListener("input", function () { if (playing) setPlaying(false); st.k = +scrub.value; moveTo(st.k); share(); });

  // --- choosing the start: click or drag, the arrow keys, the preset buttons ------------------------
  function choose(n) { if (n !== st.n) { st.n = n; if (U) { draw(); share(); } } }
  function pick(ev) {
    var pt = left.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
    var s = pt.matrixTransform(left.getScreenCTM().inverse()), bestD = Infinity, bestN = st.n;
    XY[st.view].forEach(function (q, n) {
      var dd = (q[0] - s.x) * (q[0] - s.x) + (q[1] - s.y) * (q[1] - s.y);
      if (dd < bestD) { bestD = dd; bestN = n; }
    });
    choose(bestN);
  }
  left.setAttribute("tabindex", "0");
  left.addEventListener("keydown", function (ev) {
    if (ev.key === " " || ev.key === "Enter") { ev.preventDefault(); if (U) setPlaying(!playing); return; }
    var dir = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[ev.key];
    if (!dir) return;
    ev.preventDefault();
    var xy = XY[st.view], here = xy[st.n], bestD = Infinity, bestN = st.n;
    xy.forEach(function (q, n) {
      var dx = q[0] - here[0], dy = q[1] - here[1], along = dx * dir[0] + dy * dir[1];
      var dd = dx * dx + dy * dy + 4 * (dx * dx + dy * dy - along * along);
      if (along > 1e-9 && dd < bestD) { bestD = dd; bestN = n; }
    });
    choose(bestN);
  });
  left.addEventListener("pointerdown", function (ev) { pick(ev); });
  left.addEventListener("pointermove", function (ev) { if (ev.buttons) pick(ev); });
  root.querySelectorAll("input.pgs-input").forEach(function (input) {
    input.addEventListener("input", function () { st[input.getAttribute("data-param")] = +input.value; if (U) { draw(); share(); } });
  });
  root.querySelectorAll("input.pgs-radio").forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { st[r.name.split("-").pop()] = r.value; if (U) { draw(); share(); } } });
  });
  root.querySelectorAll("button.pgs-preset").forEach(function (b) {
    b.addEventListener("click", function () { choose(+b.getAttribute("data-start")); });
  });

  // --- the URL fragment: #name?start=...&eta=...&gamma=...&mode=...&pg_eta=...&t=...&view=... --------
  function nearest(values, x, log) {
    var best = 0;
    values.forEach(function (v, i) { if (Math.abs(log ? Math.log(v / x) : v - x) < Math.abs(log ? Math.log(values[best] / x) : values[best] - x)) best = i; });
    return best;
  }
  function fragment() {
    var q = ["start=" + D.starts[st.n].map(function (x) { return x.toFixed(3); }).join(","), "eta=" + D.eta_labels[st.e]];
    if (G > 1) q.push("gamma=" + D.gamma_labels[st.g]);
    q.push("mode=" + st.mode);
    if (st.mode === "own") q.push("pg_eta=" + D.pg_eta_labels[st.pe]);
    q.push("t=" + D.steps[Math.round(st.k)], "view=" + st.view);
    return D.name + "?" + q.join("&");
  }
  var pending = null;
  function share() {
    if (!D.share || playing) return;
    clearTimeout(pending);
    pending = setTimeout(function () {
      var url = "#" + fragment();
      if (location.hash !== url) history.replaceState(history.state, "", url);
      root.setAttribute("data-shared", url);
    }, 150);
  }
  function restore(hash) {
    var head = "#" + D.name + "?";
    if (hash.indexOf(head) !== 0) return false;
    var q = new URLSearchParams(hash.slice(head.length)), v;
    if ((v = (q.get("start") || "").split(",").map(Number)).length === 3 && v.every(isFinite)) {
      var bestD = Infinity;
      D.starts.forEach(function (p, n) { var dd = (p[0] - v[0]) * (p[0] - v[0]) + (p[1] - v[1]) * (p[1] - v[1]) + (p[2] - v[2]) * (p[2] - v[2]); if (dd < bestD) { bestD = dd; st.n = n; } });
    }
    if (+q.get("eta") > 0) st.e = nearest(D.etas, +q.get("eta"), true);
    if (+q.get("gamma") >= 0 && q.has("gamma")) st.g = nearest(D.gammas, +q.get("gamma"), false);
    if (D.modes.indexOf(q.get("mode")) >= 0) st.mode = q.get("mode");
    if (+q.get("pg_eta") > 0) st.pe = nearest(D.pg_etas, +q.get("pg_eta"), true);
    if (q.has("t") && +q.get("t") >= 0) st.k = nearest(D.steps.map(function (t) { return t + 1; }), +q.get("t") + 1, true);
    if (q.get("view") === "simplex" || q.get("view") === "logits") st.view = q.get("view");
    return true;
  }
  var restored = D.share && restore(location.hash);
  if (D.share) window.addEventListener("hashchange", function () { if (restore(location.hash) && U) { if (playing) setPlaying(false); draw(); } });
  function reveal() {
    root.scrollIntoView({block: "start"});
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(function () { root.scrollIntoView({block: "start"}); });
  }

  var bin = atob(D.payload), bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  labels();
  if (typeof DecompressionStream === "undefined") { readout.textContent = "This browser cannot draw the figure (no DecompressionStream)."; return; }
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer().then(function (buf) {
    U = new Uint16Array(buf);  // little-endian, as every browser platform is
    for (var o = 0; o < U.length; o += K) for (var k = 1; k < K; k++) U[o + k] = U[o + k] + U[o + k - 1];
    draw();
    if (restored) { if (document.readyState === "complete") reveal(); else window.addEventListener("load", reveal); }
  });
})();"""


class SimplexFigure:
    """The interactive simplex figure; build it with :func:`figure`. Displays as HTML (``_repr_html_``)."""

    def __init__(self, sweep: Sweep, pg_steps: Sweep | None, actions, presets, initial, name, title):
        self.sweep, self.pg_steps, self.actions, self.presets = sweep, pg_steps, actions, presets
        self.initial, self.name, self.title = initial, name, title

    def blocks(self) -> list[tuple[str, Sweep, int]]:
        """The series blocks of the payload, in order: (role, sweep, index on its method axis)."""
        sw = self.sweep
        out = [("npg", sw, sw.methods.index("npg")), ("pg", sw, sw.methods.index("pg"))]
        if "pg_kl" in sw.methods:
            out.append(("pg_kl", sw, sw.methods.index("pg_kl")))
        if self.pg_steps is not None:
            out.append(("pg_big", self.pg_steps, self.pg_steps.methods.index("pg")))
        return out

    def payload(self) -> bytes:
        """The trajectories as zlib-compressed uint16 planes (see the module docstring)."""
        scale = 65535.0
        parts = []
        for _, sw, m in self.blocks():
            pi, theta, gap = sw.pi[:, :, m], sw.theta[:, :, m], sw.gap[:, :, m]  # (G, E, N, K, ...)
            lg = np.log10(np.maximum(gap, 10.0 ** LOG_GAP_MIN))
            xy = np.clip(to_plane(theta), -LOGIT_BOX, LOGIT_BOX)
            planes = np.stack([
                pi[..., 0] * scale,
                pi[..., 2] * scale,
                (np.clip(lg, LOG_GAP_MIN, LOG_GAP_MAX) - LOG_GAP_MIN) / (LOG_GAP_MAX - LOG_GAP_MIN) * scale,
                (xy[..., 0] + LOGIT_BOX) / (2 * LOGIT_BOX) * scale,
                (xy[..., 1] + LOGIT_BOX) / (2 * LOGIT_BOX) * scale,
            ], axis=-2)  # (G, E, N, PLANES, K)
            parts.append(planes.reshape(-1, planes.shape[-1]))
        planes = np.concatenate(parts)
        # Coarser than 16 bits (still far below a pixel): what zlib compresses.
        step = np.tile(QUANTUM, planes.shape[0] // PLANES)[:, None]
        q = np.minimum(np.rint(planes / step) * step, 65535).astype(np.int64)
        q[:, 1:] = q[:, 1:] - q[:, :-1]
        return zlib.compress((q % 65536).astype("<u2").tobytes(), 9)

    def data(self) -> dict:
        sw = self.sweep
        blocks, first = [], 0
        for role, s, _ in self.blocks():
            blocks.append({"role": role, "E": int(s.etas.size), "first": first})
            first += s.gammas.size * s.etas.size * s.starts.shape[0]
        role = {b["role"]: i for i, b in enumerate(blocks)}
        pg_etas = sw.etas if self.pg_steps is None else np.concatenate([sw.etas, self.pg_steps.etas])
        modes = ["same"] + (["kl"] if "pg_kl" in role else []) + (["own"] if "pg_big" in role else [])
        log_starts = np.log(sw.starts)
        return {
            "name": self.name,
            "share": os.environ.get(STATIC_ENV) == "1",
            "actions": list(self.actions),
            "short": [re.split(r"[\s:]", a, maxsplit=1)[0] for a in self.actions],
            "gammas": sw.gammas.tolist(),
            "gamma_labels": [f"{g:.2f}" for g in sw.gammas],
            "etas": sw.etas.tolist(),
            "eta_labels": [f"{e:g}" for e in sw.etas],
            "pg_etas": pg_etas.tolist(),
            "pg_eta_labels": [f"{e:g}" for e in pg_etas],
            "modes": modes,
            "steps": sw.steps.tolist(),
            "starts": np.round(sw.starts, 4).tolist(),
            "start_logits": np.round(to_plane(log_starts - log_starts.mean(axis=1, keepdims=True)), 4).tolist(),
            "best": sw.best.tolist(),
            "log_gap": [LOG_GAP_MIN, LOG_GAP_MAX],
            "logit_view": LOGIT_VIEW,
            "logit_box": LOGIT_BOX,
            "planes": PLANES,
            "geometry": GEOMETRY,
            "duration_ms": 6000,
            "blocks": blocks,
            "npg": role["npg"], "pg": role["pg"], "pg_kl": role.get("pg_kl", -1), "pg_big": role.get("pg_big", -1),
            "initial": dict(self.initial),
            "payload": base64.b64encode(self.payload()).decode("ascii"),
        }

    def html(self) -> str:
        """The self-contained HTML of the figure (SVG panels, controls, data and script)."""
        data = self.data()
        text = json.dumps(data, separators=(",", ":"))
        uid = "pgbook-simplex-" + self.name
        init = self.initial
        controls = [self._slider("e", "η", data["eta_labels"], init["e"])]
        if len(data["gammas"]) > 1:
            controls.append(self._slider("g", "γ", data["gamma_labels"], init["g"]))
        if len(data["modes"]) > 1:
            controls.append(self._radios(uid, "mode", "PG's step:", {m: MODES[m] for m in data["modes"]}, init["mode"]))
            if "own" in data["modes"]:
                controls.append(self._slider("pe", "PG's η", data["pg_eta_labels"], init["pe"], extra=' class="pgs-own"'))
        controls.append(self._radios(uid, "view", "show:", VIEWS, init["view"]))
        buttons = "".join(
            f'<button type="button" class="pgs-preset" data-start="{n}">{html.escape(label)}</button>'
            for label, n in self.presets
        )
        if buttons:
            controls.append(f'<span class="pgs-presets" style="display:flex;gap:.4em;align-items:center">start: {buttons}</span>')
        css = _CSS % {"pg": COLOURS["light"][0], "npg": COLOURS["light"][1],
                      "pg_dark": COLOURS["dark"][0], "npg_dark": COLOURS["dark"][1]}
        W, H = GEOMETRY["width"], GEOMETRY["height"]
        K = len(data["steps"])
        label = html.escape(self.title)
        safe = text.replace("</", "<\\/")
        swatch = ('<span><svg viewBox="0 0 36 14" aria-hidden="true"><line x1="2" y1="7" x2="34" y2="7" class="pgs-{m}"/>'
                  '{shape}</svg><span class="pgs-legend-{m}"></span></span>')
        legend = (swatch.format(m="pg", shape='<rect class="pgs-mark-pg" x="14.5" y="3.5" width="7" height="7"/>')
                  + swatch.format(m="npg", shape='<circle class="pgs-mark-npg" cx="18" cy="7" r="3.6"/>'))
        return (
            f'<div class="pgbook-simplex" id="{uid}"><style>{css}</style>'
            '<p class="pgs-hint">Click or drag in the triangle to pick the start, then ▶&#8239;play. '
            'Keys: Tab to the panel, ←&#8239;↑&#8239;→&#8239;↓, space.</p>'
            f'<div class="pgs-legend">{legend}</div>'
            '<div class="pgs-panels">'
            f'<svg class="pgs-left" viewBox="0 0 {W} {H}" role="img" aria-label="{label}: where both methods go from '
            'the start; click, or use the arrow keys, to choose the start"></svg>'
            f'<svg class="pgs-right" viewBox="0 0 {W} {H}" role="img" aria-label="{label}: the distance to the '
            'optimal value against the iteration count"></svg></div>'
            '<div class="pgs-time"><button type="button" class="pgs-play" aria-pressed="false">▶ play</button>'
            f'<label><span>t = <output class="pgs-t"></output></span><input class="pgs-scrub" type="range" min="0" '
            f'max="{K - 1}" step="1" value="{init["k"]}" aria-label="iteration t (log-spaced)"></label></div>'
            f'<div class="pgs-controls">{"".join(controls)}</div>'
            '<div class="pgs-readout" aria-live="polite">loading the trajectories…</div>'
            f'<script type="application/json" class="pgbook-simplex-data">{safe}</script>'
            f"<script>{_SCRIPT.replace('%(id)s', uid).replace('%%', '%')}</script></div>"
        )

    @staticmethod
    def _slider(param: str, name: str, labels: list[str], i: int, extra: str = "") -> str:
        return (
            f'<label{extra}><span>{name} = <output>{html.escape(labels[i])}</output></span>'
            f'<input class="pgs-input" type="range" min="0" max="{len(labels) - 1}" step="1" value="{i}" '
            f'data-param="{param}" aria-label="{name}"></label>'
        )

    @staticmethod
    def _radios(uid: str, key: str, legend: str, options: dict, chosen: str) -> str:
        items = "".join(
            f'<label><input class="pgs-radio" type="radio" name="{uid}-{key}" value="{value}"'
            f'{" checked" if value == chosen else ""}>{html.escape(text)}</label>'
            for value, text in options.items()
        )
        return f'<fieldset class="pgs-seg pgs-{key}"><legend>{html.escape(legend)}</legend>{items}</fieldset>'

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        sw = self.sweep
        return (f"<simplex figure {self.name!r}: {sw.starts.shape[0]} starts x {sw.etas.size} step sizes x "
                f"{sw.gammas.size} discounts x {'/'.join(sw.methods)}, {sw.T} iterations>")


def figure(sweep: Sweep, actions, *, name: str, presets=(), start=None, eta=None, gamma=None, pg_steps=None,
           mode: str = "same", view: str = "simplex", t=None,
           title: str = "PG and NPG on the simplex") -> SimplexFigure:
    r"""The interactive simplex figure of a :class:`pgbook.theory.simplex.Sweep`.

    Parameters
    ----------
    sweep : Sweep
        From :func:`pgbook.theory.simplex.sweep`, with the methods ``"pg"`` and ``"npg"``, and ``"pg_kl"``
        for the mode in which PG takes NPG's mean KL divergence per step.
    actions : sequence of 3 str
        The corner labels, for actions 0 (top), 1 (bottom left) and 2 (bottom right); their first
        words name the actions' sectors of the logit panel.
    name : str
        The figure's name in the page's URL fragment (``#name?start=...``), lower-case words joined
        by hyphens, unique on its page.
    presets : sequence of (label, pi)
        Buttons that move the start to the grid point nearest to ``pi: (3,)``.
    start : array (3,), optional
        The first start shown (the grid point nearest to it); default the grid's centre.
    eta, gamma : float, optional
        The first step size and discount shown (values of the sweep); default the first.
    pg_steps : Sweep, optional
        PG (``"pg"``) at further step sizes, with the sweep's discounts, starts and records: the mode
        in which PG takes a step size of its own offers the sweep's and these.
    mode : {"same", "kl", "own"}
        How PG's step is chosen first (``MODES``).
    view : {"simplex", "logits"}
        What the left panel shows first (``VIEWS``).
    t : int, optional
        The iteration shown first (the nearest record); default the last.
    title : str
        The figure's accessible name.

    Returns
    -------
    SimplexFigure
        Displays as HTML; ``.html()`` is the markup, ``.payload()`` the compressed data.

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import simplex
    >>> sw = simplex.sweep([envs.bandit([1.0, 0.9, 0.1])], [0.3], simplex.simplex_grid(2), T=10, records=4)
    >>> figure(sw, ["a₁", "a₂", "a₃"], name="bandit")
    <simplex figure 'bandit': 6 starts x 1 step sizes x 1 discounts x pg/npg, 10 iterations>
    """
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep: expected a pgbook.theory.simplex.Sweep, got {type(sweep).__name__}")
    if not {"pg", "npg"} <= set(sweep.methods):
        raise ValueError(f"sweep: needs the methods 'pg' and 'npg', has {sweep.methods}")
    if isinstance(actions, str) or len(actions) != 3 or not all(isinstance(a, str) and a for a in actions):
        raise ValueError(f"actions: expected 3 non-empty labels, got {actions!r}")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"name: expected lower-case words joined by hyphens, such as 'bandit', got {name!r}")
    if pg_steps is not None:
        if not isinstance(pg_steps, Sweep):
            raise TypeError(f"pg_steps: expected a pgbook.theory.simplex.Sweep, got {type(pg_steps).__name__}")
        same = (pg_steps.state == sweep.state and np.array_equal(pg_steps.gammas, sweep.gammas)
                and np.array_equal(pg_steps.starts, sweep.starts) and np.array_equal(pg_steps.steps, sweep.steps))
        if "pg" not in pg_steps.methods or not same:
            raise ValueError("pg_steps: needs the method 'pg' and the sweep's discounts, state, starts and records")
    modes = ["same"] + (["kl"] if "pg_kl" in sweep.methods else []) + (["own"] if pg_steps is not None else [])
    if mode not in modes:
        raise ValueError(f"mode: expected one of {modes} for this sweep, got {mode!r}")
    if view not in VIEWS:
        raise ValueError(f"view: expected one of {list(VIEWS)}, got {view!r}")

    def nearest(pi, name):
        pi = validate.array(pi, name, shape=(3,))
        return int(np.argmin(((sweep.starts - pi) ** 2).sum(axis=1)))

    def index(values, value, name):
        if value is None:
            return 0
        hits = np.flatnonzero(np.isclose(values, value, rtol=0, atol=1e-12))
        if hits.size == 0:
            raise ValueError(f"{name}: {value!r} is not one of the sweep's values {values.tolist()}")
        return int(hits[0])

    presets = [(str(label), nearest(pi, "presets")) for label, pi in presets]
    n0 = nearest(np.full(3, 1 / 3) if start is None else start, "start")
    K = sweep.steps.size
    k0 = K - 1 if t is None else int(np.argmin(np.abs(np.log1p(sweep.steps) - np.log1p(validate.positive_real(t, "t", allow_zero=True)))))
    e0 = index(sweep.etas, eta, "eta")
    initial = {"g": index(sweep.gammas, gamma, "gamma"), "e": e0, "pe": e0, "mode": mode, "n": n0, "k": k0, "view": view}
    return SimplexFigure(sweep, pg_steps, tuple(actions), presets, initial, name, str(title))
