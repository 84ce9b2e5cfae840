// On a phone a figure keeps its drawn size and scrolls sideways inside its output box
// (pgbook.css); phones hide scroll bars, so a figure cut at the screen's edge would look clipped.
// Each output that scrolls gets a one-line hint under it, removed again when the window grows.
(function () {
  "use strict";
  const HINT = "pgbook-scroll-hint";

  function mark() {
    for (const box of document.querySelectorAll(".bd-content div.cell_output")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 && box.querySelector("img, svg, canvas");
      const next = box.nextElementSibling;
      const hinted = next !== null && next.classList.contains(HINT);
      if (scrolls && !hinted) {
        const hint = document.createElement("p");
        hint.className = HINT;
        hint.textContent = "◂ swipe to see the whole figure ▸";
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
