// Turns the book's single page (Sphinx's singlehtml build) into the pages of the PDF. tools/build_pdf.py
// evaluates this function in chromium, once the page has loaded and MathJax and the simplex figures
// have drawn, with print.css applied; then chromium prints. `book` comes from _config.yml and
// _toc.yml: {title, author, year, root, toc_target, parts: [{caption, pages: [docname, ...]}]}.
//
// - Each chapter comes out of the front page (singlehtml nests the whole book under the front page's
//   table of contents) to the top level, headed by its part where the part begins; headings are set
//   to their level in the book (part h1, chapter h2, section h3, ...), which the PDF's outline follows.
// - A title page and a table of contents come first; the contents' page numbers are left blank here
//   and filled in by build_pdf.py from the printed PDF's links.
// - Every folded box prints open; a chapter's solutions move to a "Solutions" section at its end.
// - An interactive figure (pgbook.viz.interactive) becomes a panel of a few of its frames, each
//   labelled with its slider values, and a caption saying what the sliders do; no slider is left.
// - The simplex figure (pgbook.viz.simplex) is drawn at its first view and at each preset start,
//   both panels under the legend, with each view's read-out; its hint and controls go.
// - A gallery of reports (pgbook.report.gallery) prints every example, each under its label; its
//   buttons go.
// - A display formula wider than the column is set smaller.
async (book) => {
  const article = document.querySelector("article.bd-article");
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...children);
    return e;
  };
  const retag = (e, tag) => {
    const n = el(tag);
    for (const a of e.attributes) n.setAttribute(a.name, a.value);
    n.append(...e.childNodes);
    e.replaceWith(n);
  };
  const HEADING = "h1, h2, h3, h4, h5, h6";

  // The pages of the book, each a <section> after its "document-<name>" marker (the front page has none).
  const root = article.querySelector(":scope > section");
  const sections = new Map([[book.root, root]]);
  for (const part of book.parts) {
    for (const name of part.pages) {
      const marker = document.getElementById(`document-${name}`);
      const section = marker && marker.nextElementSibling;
      if (!section || section.tagName !== "SECTION") throw new Error(`${name}: not found in the single page`);
      sections.set(name, section);
    }
  }

  // Book-level headings: a page's title becomes an h2 (a part's is the h1), the rest follow it.
  for (const section of sections.values()) {
    const title = section.querySelector(HEADING);
    const shift = +title.tagName[1] - 2;
    for (const h of section.querySelectorAll(HEADING)) retag(h, `h${Math.min(6, +h.tagName[1] - shift)}`);
    section.classList.add("pgbook-print-page");
  }

  // Title page, with the front page's opening paragraph; the rest of the front page is "About this book".
  const lede = root.querySelector(":scope > h2 + p");
  root.querySelector(":scope > h2").replaceChildren("About this book");
  const titlePage = el("section", {class: "pgbook-print-title"},
    el("h1", {}, book.title),
    el("div", {class: "pgbook-print-lede"}, ...(lede ? [lede] : [])),
    el("p", {class: "pgbook-print-author"}, book.author),
    el("p", {class: "pgbook-print-imprint"}, `${book.year}. Printed from the HTML book, where the figures are interactive.`));

  // Chapters out to the top level, in the order of _toc.yml, each part's caption before its first page.
  const body = [titlePage, el("nav", {class: "pgbook-print-toc"}, el("h1", {}, "Contents")), root];
  for (const part of book.parts) {
    part.pages.forEach((name, i) => {
      const marker = document.getElementById(`document-${name}`);
      if (i === 0 && part.caption) body.push(el("h1", {class: "pgbook-print-part"}, part.caption));
      body.push(marker, sections.get(name));
    });
  }
  article.prepend(...body);

  // Folded boxes (a proof, a table in full, a solution) print open: paper has no button to unfold them.
  for (const box of article.querySelectorAll(".toggle")) {
    box.classList.remove("dropdown", "toggle", "toggle-hidden");
    box.querySelectorAll("button.toggle-button").forEach(b => b.remove());
  }

  // Solutions at the end of their chapter.
  for (const section of sections.values()) {
    const solutions = section.querySelectorAll("div.solution");
    if (!solutions.length) continue;
    section.append(el("section", {class: "pgbook-print-solutions"}, el("h3", {}, "Solutions"), ...solutions));
  }

  // Interactive figures: a few frames. One slider: both ends, the first shown value and the middle of
  // the widest gap, up to 4; more sliders: each at its first value and at its farthest end, crossed.
  const spread = (n, first, count) => {
    const chosen = new Set([0, n - 1, first]);
    while (chosen.size < Math.min(n, count)) {
      const sorted = [...chosen].sort((a, b) => a - b);
      let widest = 0;  // while fewer than n are chosen, the widest gap has a value inside it
      for (let i = 1; i < sorted.length - 1; i++) if (sorted[i + 1] - sorted[i] > sorted[widest + 1] - sorted[widest]) widest = i;
      chosen.add(Math.floor((sorted[widest] + sorted[widest + 1]) / 2));
    }
    return [...chosen].sort((a, b) => a - b);
  };
  const cross = lists => lists.reduce((acc, list) => acc.flatMap(a => list.map(x => [...a, x])), [[]]);
  for (const figure of article.querySelectorAll(".pgbook-interactive")) {
    const data = JSON.parse(figure.querySelector("script.pgbook-interactive-data").textContent);
    const names = [...figure.querySelectorAll(".pgbook-interactive-name")].map(e => e.textContent.trim());
    const first = [...figure.querySelectorAll("input.pgbook-interactive-input")].map(e => +e.value);
    const sizes = data.labels.map(labels => labels.length);
    const picks = sizes.length === 1 ? [spread(sizes[0], first[0], 4)]
      : sizes.map((n, k) => [...new Set([first[k], first[k] < (n - 1) / 2 ? n - 1 : 0])].sort((a, b) => a - b));
    const frames = cross(picks).map(setting => {
      const index = setting.reduce((acc, i, k) => acc * sizes[k] + i, 0);
      const label = setting.map((i, k) => `${names[k]} = ${data.labels[k][i]}`).join(", ");
      return el("figure", {}, el("img", {src: `data:image/png;base64,${data.frames[index]}`, alt: label}),
                el("figcaption", {}, label));
    });
    const total = sizes.reduce((a, b) => a * b, 1);
    const ranges = names.map((n, k) => `${n} from ${data.labels[k][0]} to ${data.labels[k][sizes[k] - 1]}`);
    const caption = `Interactive figure, printed at ${frames.length} of its ${total} settings. In the HTML book ` +
      `and in the notebooks, ${names.length === 1 ? "a slider moves" : "sliders move"} ${ranges.join(" and ")}.`;
    figure.replaceChildren(el("div", {class: "pgbook-print-frames"}, ...frames),
                           el("p", {class: "pgbook-print-caption"}, caption));
  }

  // A report's notes (pgbook.explain), folded on screen, print open; its links to chapters, relative
  // to a chapter's page in the HTML book, lead to the chapter in the PDF.
  for (const notes of article.querySelectorAll(".pgbook-report details")) notes.open = true;
  for (const link of article.querySelectorAll(".pgbook-report a[href]")) {
    const chapter = link.getAttribute("href").match(/^\.\.\/([\w/]+)\.html$/);
    if (chapter) link.setAttribute("href", `#document-book/${chapter[1]}`);
  }

  // A gallery of reports (pgbook.report.gallery): every example, each under its button's label, one
  // after the other; the buttons go.
  for (const gallery of article.querySelectorAll(".pgbook-gallery")) {
    const labels = [...gallery.querySelectorAll(".pgbook-gallery-button")].map(l => l.textContent.trim());
    const panels = [...gallery.querySelectorAll(".pgbook-gallery-panels > .pgbook-gallery-panel")];
    const examples = panels.map((panel, k) => el("div", {class: "pgbook-print-example"},
      el("p", {class: "pgbook-print-example-label"}, `Example ${k + 1} of ${panels.length}: ${labels[k] ?? ""}`),
      ...panel.childNodes));
    const caption = `A gallery of ${panels.length} examples, all printed. In the HTML book and in the notebooks, ` +
      "a row of buttons shows one at a time.";
    const out = el("div", {class: "pgbook-print-gallery"}, el("p", {class: "pgbook-print-caption"}, caption), ...examples);
    gallery.replaceWith(out);
  }

  // The simplex figure (pgbook.viz.simplex): its first view (default settings, the whole run) and each
  // preset start that differs from it, both panels under the legend, each with its read-out; the hint, the
  // play/scrub bar and the controls go, and the caption names the settings they were left at.
  for (const figure of article.querySelectorAll(".pgbook-simplex")) {
    const panels = figure.querySelector(".pgs-panels");
    const readout = figure.querySelector(".pgs-readout");
    const t = figure.querySelector("output.pgs-t")?.textContent.trim();
    const shown = e => !e.closest("[hidden]") && getComputedStyle(e).display !== "none";
    const sliders = [...figure.querySelectorAll(".pgs-controls label:has(> input.pgs-input)")].filter(shown)
      .map(l => l.querySelector("span").textContent.trim());
    const choices = [...figure.querySelectorAll(".pgs-controls fieldset.pgs-seg")].filter(shown).map(f => {
      const chosen = f.querySelector("input.pgs-radio:checked")?.closest("label");
      return `${f.querySelector("legend").textContent.trim()} ${chosen ? chosen.textContent.trim() : ""}`.trim();
    });
    const legend = figure.querySelector(".pgs-legend");
    const view = label => el("figure", {class: "pgbook-print-view"}, legend.cloneNode(true), panels.cloneNode(true),
                               el("figcaption", {}, `${label}: ${readout.textContent}`));
    const first = figure.getAttribute("data-start");
    const views = [view("As first shown")];
    for (const button of figure.querySelectorAll("button.pgs-preset")) {
      if (button.getAttribute("data-start") === first) continue;
      button.click();
      views.push(view(`Start “${button.textContent}”`));
    }
    const names = [...sliders.map(s => s.split("=")[0].trim()),
                   ...(figure.querySelector("fieldset.pgs-mode") ? ["PG's step"] : []),
                   ...(figure.querySelector("fieldset.pgs-view") ? ["the view (policy or logits)"] : [])];
    const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names.join("");
    const caption = `Interactive figure, printed at t = ${t} from ${views.length} starts ` +
      `(${[...sliders, ...choices].join("; ")}). In the HTML book and in the notebooks, click on the triangle ` +
      `(or use the arrow keys) to start anywhere, play or scrub through t, and change ${list}.`;
    figure.replaceChildren(figure.querySelector("style"), ...views,
                           el("p", {class: "pgbook-print-caption"}, caption));
  }

  // Display formulas wider than the column (on screen they scroll) are set smaller until they fit;
  // the page is laid out at the column's width, so what fits here fits on paper.
  for (const math of article.querySelectorAll('mjx-container[display="true"]')) {
    const room = math.clientWidth, needed = math.scrollWidth;
    if (needed > room) math.style.fontSize = `${parseFloat(getComputedStyle(math).fontSize) * 0.98 * room / needed}px`;
  }

  // The table of contents: every page, part and section, linked; build_pdf.py writes the page numbers.
  const toc = article.querySelector(".pgbook-print-toc");
  let anchors = 0;
  const entry = (heading, kind) => {
    const copy = heading.cloneNode(true);
    const id = `${book.toc_target}${++anchors}`;  // build_pdf.py finds the contents' links by it
    heading.prepend(el("span", {id}));
    copy.querySelectorAll(".headerlink").forEach(e => e.remove());
    const number = copy.querySelector(".section-number");
    number?.remove();
    return el("a", {class: `pgbook-print-toc-entry pgbook-print-toc-${kind}`, href: `#${id}`},
              el("span", {class: "pgbook-print-toc-number"}, (number?.textContent || "").trim().replace(/\.$/, "")),
              el("span", {class: "pgbook-print-toc-title"}, ...copy.childNodes),
              el("span", {class: "pgbook-print-toc-leader"}));
  };
  for (const node of article.querySelectorAll(":scope > h1.pgbook-print-part, :scope > section.pgbook-print-page")) {
    if (node.tagName === "H1") {
      toc.append(entry(node, "part"));
      continue;
    }
    toc.append(entry(node.querySelector(":scope > h2"), "chapter"));
    for (const h of node.querySelectorAll(":scope > section > h3")) toc.append(entry(h, "section"));
  }

  await Promise.all([...document.images].map(img => img.decode()));
}
