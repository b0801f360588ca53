// A form marked data-swap-errors shows the server's answer to a refused submission (422: the
// fragment with its field errors) in place, as htmx does for a 200; htmx leaves 4xx unswapped.
document.addEventListener("htmx:beforeSwap", (event) => {
  const form = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status === 422 && form && form.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
