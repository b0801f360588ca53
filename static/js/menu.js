// The header's menu on narrow screens: a button that shows and hides the navigation.
// Without this script the links wrap under the brand instead (see .topbar in app.css).
document.addEventListener("DOMContentLoaded", () => {
  const header = document.querySelector(".topbar[data-menu]");
  const toggle = header && header.querySelector(".menu-toggle");
  if (!toggle) return;
  header.classList.add("js-menu");
  const set = (open) => {
    header.classList.toggle("menu-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => set(toggle.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      set(false);
      toggle.focus();
    }
  });
});
