// On a phone a figure keeps its drawn size and a wide table its columns: each scrolls sideways inside
// its own box (pgbook.css). Phones hide scroll bars, so a figure or table cut at the screen's edge
// would look clipped: each box that hides more than a sliver gets a one-line hint under it, removed
// again when the window grows. A figure wider than its box by a sliver only is fitted to it instead
// (a few pixels narrower), so that it neither scrolls nor needs a hint. An interactive figure's frame
// starts scrolled so that its plot (where the marker and the title with the slider's value are) is in
// view, not its left margin.
(function () {
  "use strict";
  const HINT = "pgbook-scroll-hint";
  const FITS = "pgbook-fits";
  // Up to this many pixels hidden, a figure is fitted to its box; past it, it scrolls under a hint.
  const SLIVER = 12;
  // The boxes that scroll: an output, an interactive figure's frame, a report's figure, a table.
  const BOXES = [".bd-content div.cell_output", ".bd-content .pgbook-interactive-view",
                 ".bd-content .pgbook-report-figure", ".bd-content .pst-scrollable-table-container"];

  // Scroll an interactive frame so that its plot area (data-plot: left, right, as fractions of the
  // frame's width) is in view: all of it, as far left as that allows, or its middle when it is wider
  // than the box. Once per box width, so that a reader's own swipe is kept.
  function showPlot(view) {
    const plot = view.dataset.plot;
    const img = view.querySelector("img");
    const width = view.clientWidth;
    if (!plot || !img || view.dataset.shownAt === String(width)) return;
    view.dataset.shownAt = String(width);
    const [x0, x1] = plot.split(",").map(Number);
    const drawn = img.getBoundingClientRect().width;
    const left = x0 * drawn, right = x1 * drawn;
    view.scrollLeft = right - left <= width ? Math.max(right + 4 - width, 0) : (left + right - width) / 2;
  }

  function mark() {
    for (const box of document.querySelectorAll(BOXES.join(", "))) {
      const table = box.querySelector("table") !== null;
      const figure = box.querySelector("img, svg, canvas") !== null;
      box.classList.remove(FITS);
      let hidden = box.scrollWidth - box.clientWidth;
      if (hidden > 1 && hidden <= SLIVER && figure && !table) {
        box.classList.add(FITS);
        hidden = box.scrollWidth - box.clientWidth;
      }
      const scrolls = hidden > SLIVER && (table || figure);
      const next = box.nextElementSibling;
      const hinted = next !== null && next.classList.contains(HINT);
      if (scrolls && !hinted) {
        const hint = document.createElement("p");
        hint.className = HINT;
        hint.textContent = `◂ swipe to see the whole ${table ? "table" : "figure"} ▸`;
        box.after(hint);
      } else if (!scrolls && hinted) {
        next.remove();
      }
      if (box.classList.contains("pgbook-interactive-view") && hidden > 0) showPlot(box);
    }
  }

  let pending = null;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", later);
})();
