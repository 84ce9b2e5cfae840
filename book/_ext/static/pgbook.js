// On a phone a figure keeps its drawn size and a wide table its columns: each scrolls sideways inside
// its own box (pgbook.css). Phones hide scroll bars, so a figure or table cut at the screen's edge
// would look clipped: each box that hides more than a sliver gets a one-line hint under it, removed
// again when the window grows. A table of the text gets its hint above it instead: the reader meets
// it before the table's first row, not after its last (readers missed the hint under a long table).
// A figure wider than its box by a sliver only is fitted to it instead
// (a few pixels narrower), so that it neither scrolls nor needs a hint; a table cannot be narrowed
// that way, so one that hides any of its width gets the hint. Every box opens at its left
// edge, where a figure's y axis and labels are (the slider's value is printed beside the slider).
(function () {
  "use strict";
  const HINT = "pgbook-scroll-hint";
  const FITS = "pgbook-fits";
  // Up to this many pixels hidden, a figure is fitted to its box; past it, it scrolls under a hint.
  const SLIVER = 12;
  // (Rounding: a box may report a pixel more than it shows.)
  const SLACK = 1;
  // The boxes that scroll: an output, an interactive figure's frame, a report's figure, a table.
  const BOXES = [".bd-content div.cell_output", ".bd-content .pgbook-interactive-view",
                 ".bd-content .pgbook-report-figure", ".bd-content .pst-scrollable-table-container"];

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
      const scrolls = table ? hidden > SLACK : figure && hidden > SLIVER;
      const above = box.classList.contains("pst-scrollable-table-container");
      const next = above ? box.previousElementSibling : box.nextElementSibling;
      const hinted = next !== null && next.classList.contains(HINT);
      if (scrolls && !hinted) {
        const hint = document.createElement("p");
        hint.className = HINT;
        hint.textContent = `◂ swipe to see the whole ${table ? "table" : "figure"} ▸`;
        if (above) box.before(hint); else box.after(hint);
      } else if (!scrolls && hinted) {
        next.remove();
      }
    }
  }

  let pending = null;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", later);
  // A box inside a closed dropdown has no width until the reader opens it (a click): look again then.
  document.addEventListener("click", later);
})();
