// On a phone a figure keeps its drawn size and a wide table its columns: each scrolls sideways inside
// its own box (pgbook.css). Phones hide scroll bars, so a figure or table cut at the screen's edge
// would look clipped: each box that scrolls gets a one-line hint under it, removed again when the
// window grows.
(function () {
  "use strict";
  const HINT = "pgbook-scroll-hint";
  // The boxes that scroll: an output, an interactive figure's frame, a report's figure, a table.
  const BOXES = [".bd-content div.cell_output", ".bd-content .pgbook-interactive-view",
                 ".bd-content .pgbook-report-figure", ".bd-content .pst-scrollable-table-container"];

  function mark() {
    for (const box of document.querySelectorAll(BOXES.join(", "))) {
      const table = box.querySelector("table") !== null;
      const scrolls = box.scrollWidth > box.clientWidth + 1 && (table || box.querySelector("img, svg, canvas"));
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
