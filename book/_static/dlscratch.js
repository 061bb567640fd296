/* Phone and tablet navigation (pydata-sphinx-theme#2451).
   pydata-sphinx-theme 0.17 and sphinx-book-theme bind their sidebar buttons with
   document.querySelector(".primary-toggle") / (".secondary-toggle"): the first such button,
   which is the theme header's, and the book hides that header (one search box, no empty bar).
   The visible buttons, in the article header, got no handler, so below desktop width the
   contents drawers could not be opened. Each other button now hands its click to the bound
   one, so the themes' own code opens the drawer (or, at desktop width, collapses the sidebar). */
(function () {
  function forwardToggles() {
    ["primary-toggle", "secondary-toggle"].forEach(function (name) {
      var buttons = document.querySelectorAll("." + name);
      var bound = buttons[0];
      for (var i = 1; i < buttons.length; i++) {
        buttons[i].addEventListener("click", function (event) {
          event.preventDefault();
          event.stopPropagation();
          bound.click();
        });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", forwardToggles);
  } else {
    forwardToggles();
  }
})();
