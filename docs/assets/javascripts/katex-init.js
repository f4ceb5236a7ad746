// Render the TeX that pymdownx.arithmatex (generic mode) wraps in \( \) and \[ \], with the
// KaTeX copy shipped in docs/assets/katex (the site needs no network to show equations).
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
});
