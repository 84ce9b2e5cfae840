r"""The simplex figure: PG against NPG from a starting policy the reader picks, in any page or notebook.

:func:`figure` turns a :class:`pgbook.simplex.Sweep` (PG and NPG precomputed from a grid of starts,
for a few step sizes and discounts) into one self-contained piece of HTML: an inline SVG, range
inputs for η (and γ), a few preset starts, the trajectories as compact binary data, and a short
script. The reader clicks (or drags) on the simplex to choose the start; the script snaps to the
nearest precomputed start and draws both paths, with a dot at every power of ten of the iteration
count, and beside them the suboptimality :math:`V^\star(\rho) - V^{(t)}(\rho)` of both runs against
t on log-log axes.

Why precomputed data and a script, not pre-rendered images: one start x step size x discount
combination per image would need thousands of frames; the data of all of them is a few hundred
kilobytes, and the drawing is exact at any zoom. The same output works in the static HTML book (no
kernel), in JupyterLab (trusted outputs run scripts) and in Colab (output iframes run scripts);
it needs no CDN. Its text and axes take the colour of the surrounding text, and the two methods'
colours switch to a lighter palette when that text is light (a dark theme).

Encoding: for each series (discount, step size, method, start) three uint16 planes of length K:
:math:`\pi_0` and :math:`\pi_2` scaled to [0, 65535], and :math:`\log_{10}` of the suboptimality
clipped to [``LOG_GAP_MIN``, ``LOG_GAP_MAX``] and scaled, rounded to ``QUANTUM``; each series is stored as differences
along t (mod 2^16) and the whole array is zlib-compressed, then base64. The browser decompresses
it with ``DecompressionStream("deflate")`` (Chrome 80, Firefox 113, Safari 16.4 and later).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import zlib

import numpy as np

from .. import _validate as validate
from ..simplex import Sweep

#: The suboptimality axis, as powers of ten: values below ``10**LOG_GAP_MIN`` are drawn at its floor.
LOG_GAP_MIN, LOG_GAP_MAX = -12.0, 0.0

#: Rounding of the stored uint16 values (pi_0, pi_2, log-gap): 1/4096 of a side, 1/1024 of the gap axis.
QUANTUM = np.array([16.0, 16.0, 64.0])

#: Colour-blind-safe colours of PG and NPG, for dark text on a light background ("light") and for light
#: text on a dark one ("dark"): Okabe-Ito hues, the vermillion darkened for a contrast of 3
#: or more also on the grey output areas of the book's dark mode.
COLOURS = {"light": ("#B84A00", "#0072B2"), "dark": ("#F0A04B", "#56B4E9")}

_CSS = """
.pgbook-simplex{--pgs-pg:%(pg)s;--pgs-npg:%(npg)s;--pgs-faint:rgba(128,128,128,.45);margin:.8em 0;max-width:52rem;
  font-variant-numeric:tabular-nums}
.pgbook-simplex.pgs-dark{--pgs-pg:%(pg_dark)s;--pgs-npg:%(npg_dark)s}
.pgbook-simplex svg{width:100%%;height:auto;display:block;color:inherit;touch-action:none;user-select:none}
.pgbook-simplex svg text{fill:currentColor;font-size:14px;font-family:inherit}
.pgbook-simplex .pgs-axis{stroke:currentColor;stroke-width:1;fill:none;opacity:.8}
.pgbook-simplex .pgs-grid{stroke:var(--pgs-faint);stroke-width:.6;fill:none}
.pgbook-simplex .pgs-start{fill:var(--pgs-faint)}
.pgbook-simplex .pgs-pg{stroke:var(--pgs-pg);fill:none;stroke-width:2.4}
.pgbook-simplex .pgs-npg{stroke:var(--pgs-npg);fill:none;stroke-width:2.4;stroke-dasharray:7 3}
.pgbook-simplex .pgs-dot-pg{fill:var(--pgs-pg)}
.pgbook-simplex .pgs-dot-npg{fill:var(--pgs-npg)}
.pgbook-simplex .pgs-legend-dot{fill:currentColor}
.pgbook-simplex .pgs-here{fill:none;stroke:currentColor;stroke-width:1.6}
.pgbook-simplex .pgs-best{font-weight:bold}
.pgbook-simplex .pgs-controls{display:flex;flex-wrap:wrap;gap:.4em 1.6em;align-items:center;margin-top:.3em}
.pgbook-simplex label{display:flex;align-items:center;gap:.5em}
.pgbook-simplex input[type=range]{width:11em}
.pgbook-simplex button{font:inherit;font-size:.9em;padding:.1em .6em;border:1px solid var(--pgs-faint);
  border-radius:4px;background:transparent;color:inherit;cursor:pointer}
.pgbook-simplex .pgs-readout{margin-top:.3em;font-size:.92em}
"""

_SCRIPT = r"""(function () {
  // The script's own parent when it runs as the page loads or as JupyterLab re-inserts it
  // (perhaps before the output is attached to the document); the id otherwise.
  var me = document.currentScript;
  var root = me && me.parentElement && me.parentElement.id === "%(id)s" ? me.parentElement : document.getElementById("%(id)s");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var D = JSON.parse(root.querySelector("script.pgbook-simplex-data").textContent);
  var NS = "http://www.w3.org/2000/svg", svg = root.querySelector("svg");
  var G = D.gammas.length, E = D.etas.length, N = D.starts.length, K = D.steps.length;
  var st = {g: D.initial[0], e: D.initial[1], n: D.initial[2]}, U = null, R3 = Math.sqrt(3) / 2;
  var T = D.steps[K - 1], LT = Math.log10(T), geo = D.geometry;
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    (parent || svg).appendChild(e);
    return e;
  }
  function sx(p0, p2) { return [geo.ox + geo.side * (p2 + p0 / 2), geo.oy - geo.side * R3 * p0]; }
  function cx(t) { return geo.cx + geo.cw * Math.log10(t) / LT; }
  function cy(lg) {
    lg = Math.min(D.log_gap[1], Math.max(D.log_gap[0], lg));
    return geo.cy + geo.ch * (D.log_gap[1] - lg) / (D.log_gap[1] - D.log_gap[0]);
  }
  function fmt(x) { return x >= 1e-3 ? x.toPrecision(2) : x.toExponential(1); }  // 2 digits: what the data hold
  // The static parts: the triangle, its grid of starts, the labels and the axes of the curves.
  var tri = [sx(1, 0), sx(0, 0), sx(0, 1)];
  el("polygon", {"class": "pgs-axis", points: tri.map(function (p) { return p.join(","); }).join(" ")});
  D.starts.forEach(function (p) { var q = sx(p[0], p[2]); el("circle", {"class": "pgs-start", cx: q[0], cy: q[1], r: 1.6}); });
  var vlab = [el("text", {x: tri[0][0], y: tri[0][1] - 12, "text-anchor": "middle"}),
              el("text", {x: tri[1][0] - 4, y: tri[1][1] + 22, "text-anchor": "start"}),
              el("text", {x: tri[2][0] + 4, y: tri[2][1] + 22, "text-anchor": "end"})];
  el("rect", {"class": "pgs-axis", x: geo.cx, y: geo.cy, width: geo.cw, height: geo.ch});
  for (var d = 0; d <= LT + 1e-9; d++) {
    el("line", {"class": "pgs-grid", x1: cx(Math.pow(10, d)), x2: cx(Math.pow(10, d)), y1: geo.cy, y2: geo.cy + geo.ch});
    el("text", {x: cx(Math.pow(10, d)), y: geo.cy + geo.ch + 17, "text-anchor": "middle"}, null, d === 0 ? "1" : "10" + (d > 1 ? "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"[d] : ""));
  }
  for (var l = D.log_gap[1]; l >= D.log_gap[0]; l -= 3) {
    el("line", {"class": "pgs-grid", x1: geo.cx, x2: geo.cx + geo.cw, y1: cy(l), y2: cy(l)});
    el("text", {x: geo.cx - 6, y: cy(l) + 4, "text-anchor": "end"}, null, l === 0 ? "1" : "10\u207b" + ["", "\u00b9", "\u00b2", "\u00b3", "\u2074", "\u2075", "\u2076", "\u2077", "\u2078", "\u2079", "\u00b9\u2070", "\u00b9\u00b9", "\u00b9\u00b2"][-l]);
  }
  el("text", {x: geo.cx + geo.cw / 2, y: geo.cy + geo.ch + 36, "text-anchor": "middle"}, null, "iteration t");
  el("text", {x: geo.cx, y: geo.cy - 10}, null, "V\u22c6(\u03c1) \u2212 V(\u03c1)");
  var legend = [["PG", "pgs-pg", 105], ["NPG", "pgs-npg", 160]];
  legend.forEach(function (L) {
    var x = geo.cx + L[2], y = geo.cy - 10;
    el("line", {"class": L[1], x1: x, x2: x + 20, y1: y - 4, y2: y - 4});
    el("text", {x: x + 24, y: y}, null, L[0]);
  });
  el("circle", {"class": "pgs-legend-dot", cx: geo.cx + 228, cy: geo.cy - 14, r: 3.2});
  el("text", {x: geo.cx + 235, y: geo.cy - 10}, null, "t = 10\u1d4f");
  // Light or dark palette from the text colour the figure inherits: light text means a dark
  // background, whatever set it (the book's theme, JupyterLab's, Colab's, the reader's system).
  function theme() {
    var c = (getComputedStyle(root).color.match(/[\d.]+/g) || [0, 0, 0]).map(Number);
    root.classList.toggle("pgs-dark", 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 128);
  }
  theme();
  var watch = new MutationObserver(theme);
  [document.documentElement, document.body].forEach(function (e) { watch.observe(e, {attributes: true}); });
  if (window.matchMedia) matchMedia("(prefers-color-scheme: dark)").addEventListener("change", theme);
  var layer = el("g", {"class": "pgs-layer"});
  var readout = root.querySelector(".pgs-readout");
  function series(c, m) { return ((((c * G + st.g) * E + st.e) * 2 + m) * N + st.n) * K; }
  function draw() {
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    var best = D.best[st.g];
    D.actions.forEach(function (a, i) {
      vlab[i].textContent = a + (i === best ? " \u2605" : "");
      vlab[i].setAttribute("class", i === best ? "pgs-best" : "");
    });
    var p = D.starts[st.n], q = sx(p[0], p[2]), finals = [];
    [1, 0].forEach(function (m) {  // PG last, on top: where it stalls it hides under nothing
      var o0 = series(0, m), o2 = series(1, m), og = series(2, m), pts = [], crv = [];
      for (var k = 0; k < K; k++) {
        var xy = sx(U[o0 + k] / 65535, U[o2 + k] / 65535);
        pts.push(xy[0].toFixed(2) + "," + xy[1].toFixed(2));
        var lg = D.log_gap[0] + (D.log_gap[1] - D.log_gap[0]) * U[og + k] / 65535;
        if (D.steps[k] >= 1) crv.push(cx(D.steps[k]).toFixed(2) + "," + cy(lg).toFixed(2));
        if (D.steps[k] > 0 && Math.abs(Math.log10(D.steps[k]) % 1) < 1e-9)
          el("circle", {"class": "pgs-dot-" + legend[m][0].toLowerCase(), cx: xy[0], cy: xy[1], r: 3.2}, layer);
      }
      el("path", {"class": "pgs-path " + legend[m][1], d: "M" + pts.join("L"), "data-method": legend[m][0]}, layer);
      el("path", {"class": "pgs-curve " + legend[m][1], d: "M" + crv.join("L"), "data-method": legend[m][0]}, layer);
      finals[m] = (Math.pow(10, D.log_gap[0] + (D.log_gap[1] - D.log_gap[0]) * U[og + K - 1] / 65535));
    });
    el("circle", {"class": "pgs-here", cx: q[0], cy: q[1], r: 6}, layer);
    readout.textContent = "start \u03c0 = (" + p.map(function (x) { return x.toFixed(3); }).join(", ") +
      ")  \u00b7  after " + T.toLocaleString("en") + " iterations: PG " + (finals[0] <= Math.pow(10, D.log_gap[0]) ? "< 1e" + D.log_gap[0] : fmt(finals[0])) +
      ", NPG " + (finals[1] <= Math.pow(10, D.log_gap[0]) ? "< 1e" + D.log_gap[0] : fmt(finals[1])) + " from optimal";
    root.setAttribute("data-start", st.n);
    root.setAttribute("data-drawn", +(root.getAttribute("data-drawn") || 0) + 1);
  }
  function pick(ev) {
    var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
    var s = pt.matrixTransform(svg.getScreenCTM().inverse());
    if (s.x > geo.cx - 50) return;
    var x = (s.x - geo.ox) / geo.side, y = (geo.oy - s.y) / geo.side, bestD = Infinity, bestN = st.n;
    XY.forEach(function (q, n) {
      var dd = (q[0] - x) * (q[0] - x) + (q[1] - y) * (q[1] - y);
      if (dd < bestD) { bestD = dd; bestN = n; }
    });
    if (bestN !== st.n) { st.n = bestN; if (U) draw(); }
  }
  // The keyboard moves the start to the nearest grid point in the arrow's direction.
  var XY = D.starts.map(function (p) { return [p[2] + p[0] / 2, R3 * p[0]]; });
  svg.setAttribute("tabindex", "0");
  svg.addEventListener("keydown", function (ev) {
    var dir = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]}[ev.key];
    if (!dir) return;
    ev.preventDefault();
    var here = XY[st.n], bestD = Infinity, bestN = st.n;
    XY.forEach(function (q, n) {
      var dx = q[0] - here[0], dy = q[1] - here[1], along = dx * dir[0] + dy * dir[1];
      var dd = dx * dx + dy * dy + 4 * (dx * dx + dy * dy - along * along);
      if (along > 1e-9 && dd < bestD) { bestD = dd; bestN = n; }
    });
    if (bestN !== st.n) { st.n = bestN; if (U) draw(); }
  });
  svg.addEventListener("pointerdown", function (ev) { pick(ev); });
  svg.addEventListener("pointermove", function (ev) { if (ev.buttons) pick(ev); });
  root.querySelectorAll("input.pgs-input").forEach(function (input) {
    input.addEventListener("input", function () {
      var i = +input.value, which = input.getAttribute("data-param");
      st[which] = i;
      input.parentElement.querySelector("output").textContent = D[which === "e" ? "eta_labels" : "gamma_labels"][i];
      if (U) draw();
    });
  });
  root.querySelectorAll("button.pgs-preset").forEach(function (b) {
    b.addEventListener("click", function () { st.n = +b.getAttribute("data-start"); if (U) draw(); });
  });
  var bin = atob(D.payload), bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (typeof DecompressionStream === "undefined") { readout.textContent = "This browser cannot draw the figure (no DecompressionStream)."; return; }
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer().then(function (buf) {
    U = new Uint16Array(buf);  // little-endian, as every browser platform is
    for (var o = 0; o < U.length; o += K) for (var k = 1; k < K; k++) U[o + k] = U[o + k] + U[o + k - 1];
    draw();
  });
})();"""

#: SVG layout (viewBox units): the triangle (origin, side) and the curves' box.
GEOMETRY = {"width": 760, "height": 350, "ox": 34, "oy": 300, "side": 300, "cx": 452, "cy": 34, "cw": 290, "ch": 262}


class SimplexFigure:
    """The interactive simplex figure; build it with :func:`figure`. Displays as HTML (``_repr_html_``)."""

    def __init__(self, sweep: Sweep, actions, presets, initial, title):
        self.sweep, self.actions, self.presets, self.initial, self.title = sweep, actions, presets, initial, title

    def payload(self) -> bytes:
        """The trajectories as zlib-compressed uint16 planes (see the module docstring)."""
        sw = self.sweep
        scale = 65535.0
        lg = np.log10(np.maximum(sw.gap, 10.0 ** LOG_GAP_MIN))
        planes = np.stack([
            sw.pi[..., 0] * scale,
            sw.pi[..., 2] * scale,
            (np.clip(lg, LOG_GAP_MIN, LOG_GAP_MAX) - LOG_GAP_MIN) / (LOG_GAP_MAX - LOG_GAP_MIN) * scale,
        ])
        # Coarser than 16 bits (still far below a pixel, and 0.01 of a decade): what zlib compresses.
        step = QUANTUM.reshape(3, 1, 1, 1, 1, 1)
        q = np.minimum(np.rint(planes / step) * step, 65535).astype(np.int64)
        q[..., 1:] = q[..., 1:] - q[..., :-1]
        return zlib.compress((q % 65536).astype("<u2").tobytes(), 9)

    def data(self) -> dict:
        sw = self.sweep
        return {
            "actions": list(self.actions),
            "gammas": sw.gammas.tolist(),
            "gamma_labels": [f"{g:.2f}" for g in sw.gammas],
            "etas": sw.etas.tolist(),
            "eta_labels": [f"{e:g}" for e in sw.etas],
            "steps": sw.steps.tolist(),
            "starts": np.round(sw.starts, 4).tolist(),
            "best": sw.best.tolist(),
            "log_gap": [LOG_GAP_MIN, LOG_GAP_MAX],
            "geometry": GEOMETRY,
            "initial": list(self.initial),
            "payload": base64.b64encode(self.payload()).decode("ascii"),
        }

    def html(self) -> str:
        """The self-contained HTML of the figure (SVG, controls, data and script)."""
        data = self.data()
        text = json.dumps(data, separators=(",", ":"))
        uid = "pgbook-simplex-" + hashlib.sha1(text.encode()).hexdigest()[:12]
        g0, e0, n0 = self.initial
        controls = [self._slider("e", "η", data["eta_labels"], e0)]
        if len(data["gammas"]) > 1:
            controls.append(self._slider("g", "γ", data["gamma_labels"], g0))
        buttons = "".join(
            f'<button type="button" class="pgs-preset" data-start="{n}">{html.escape(label)}</button>'
            for label, n in self.presets
        )
        if buttons:
            controls.append(f'<span class="pgs-presets" style="display:flex;gap:.4em;flex-wrap:wrap">start: {buttons}</span>')
        css = _CSS % {"pg": COLOURS["light"][0], "npg": COLOURS["light"][1],
                      "pg_dark": COLOURS["dark"][0], "npg_dark": COLOURS["dark"][1]}
        W, H = GEOMETRY["width"], GEOMETRY["height"]
        label = html.escape(self.title)
        safe = text.replace("</", "<\\/")
        return (
            f'<div class="pgbook-simplex" id="{uid}"><style>{css}</style>'
            f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{label}: click on the triangle, or use the arrow keys, to choose where both methods start"></svg>'
            f'<div class="pgs-controls">{"".join(controls)}</div>'
            '<div class="pgs-readout" aria-live="polite">loading the trajectories…</div>'
            f'<script type="application/json" class="pgbook-simplex-data">{safe}</script>'
            f"<script>{_SCRIPT.replace('%(id)s', uid)}</script></div>"
        )

    @staticmethod
    def _slider(param: str, name: str, labels: list[str], i: int) -> str:
        return (
            f'<label><span>{name} = <output>{html.escape(labels[i])}</output></span>'
            f'<input class="pgs-input" type="range" min="0" max="{len(labels) - 1}" step="1" value="{i}" '
            f'data-param="{param}" aria-label="{name}"></label>'
        )

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        sw = self.sweep
        return (f"<simplex figure: {sw.starts.shape[0]} starts x {sw.etas.size} step sizes x "
                f"{sw.gammas.size} discounts x PG/NPG, {sw.T} iterations>")


def figure(sweep: Sweep, actions, *, presets=(), start=None, eta=None, gamma=None,
           title: str = "PG and NPG on the simplex") -> SimplexFigure:
    r"""The interactive simplex figure of a :class:`pgbook.simplex.Sweep`.

    Parameters
    ----------
    sweep : Sweep
        From :func:`pgbook.simplex.sweep`.
    actions : sequence of 3 str
        The corner labels, for actions 0 (top), 1 (bottom left) and 2 (bottom right).
    presets : sequence of (label, pi)
        Buttons that move the start to the grid point nearest to ``pi: (3,)``.
    start : array (3,), optional
        The first start shown (the grid point nearest to it); default the grid's centre.
    eta, gamma : float, optional
        The first step size and discount shown (values of the sweep); default the first.
    title : str
        The figure's accessible name.

    Returns
    -------
    SimplexFigure
        Displays as HTML; ``.html()`` is the markup, ``.payload()`` the compressed data.
    """
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep: expected a pgbook.simplex.Sweep, got {type(sweep).__name__}")
    if isinstance(actions, str) or len(actions) != 3 or not all(isinstance(a, str) and a for a in actions):
        raise ValueError(f"actions: expected 3 non-empty labels, got {actions!r}")

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
    initial = (index(sweep.gammas, gamma, "gamma"), index(sweep.etas, eta, "eta"), n0)
    return SimplexFigure(sweep, tuple(actions), presets, initial, str(title))
