// The staff navigation's count badges (base.html) are asked for again every few seconds by htmx.
// Nobody reads them in a hidden tab, so its polls are skipped then (asking also keeps the worker
// counting, config/staff_counts.py); the nav asks once more when the tab shows again.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.id === "staff-nav" && document.visibilityState === "hidden") {
    event.preventDefault();
  }
});
