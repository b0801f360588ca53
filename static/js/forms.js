// Site-wide form behaviour, loaded by templates/base.html after htmx (both deferred, so in order).
// Everything here is progressive: without this script every form still posts and answers.

// 1. A refused submission (422: the form again with its field errors) is swapped in like a 200.
// htmx 2 leaves every 4xx unswapped, so an htmx form with a wrong field would do nothing at all.
// The project's views answer 422 only with a page or fragment that shows the errors.
if (window.htmx) {
  htmx.config.responseHandling.unshift({ code: "422", swap: true, error: false });
}

// 2. <form data-submit-once>: the first submit locks its buttons (disabled, busy label) so a
// double tap cannot send it twice. Unlocked again when the page comes back from the back/forward
// cache and when an htmx request from the form ends without leaving the page.
// A button's busy label is its data-busy-label, else "Please wait…".
(() => {
  const submitButtons = (form) =>
    [...form.elements].filter(
      (el) => (el.tagName === "BUTTON" || el.tagName === "INPUT") && el.type === "submit",
    );

  const lock = (form, { now }) => {
    form.dataset.busy = "true";
    form.setAttribute("aria-busy", "true");
    for (const button of submitButtons(form)) {
      if (button.dataset.idleLabel === undefined) {
        button.dataset.idleLabel = button.tagName === "INPUT" ? button.value : button.textContent;
      }
      const busy = button.dataset.busyLabel || "Please wait…";
      if (button.tagName === "INPUT") button.value = busy;
      else button.textContent = busy;
      button.setAttribute("aria-disabled", "true");
      // A native submission builds its form data right after the submit event: a button disabled
      // now would drop its own name=value from it, so it is disabled a moment later.
      if (now) button.disabled = true;
      else setTimeout(() => (button.disabled = true), 0);
    }
  };

  const unlock = (form) => {
    if (form.dataset.busy !== "true") return;
    delete form.dataset.busy;
    form.removeAttribute("aria-busy");
    for (const button of submitButtons(form)) {
      if (button.dataset.idleLabel !== undefined) {
        if (button.tagName === "INPUT") button.value = button.dataset.idleLabel;
        else button.textContent = button.dataset.idleLabel;
        delete button.dataset.idleLabel;
      }
      button.removeAttribute("aria-disabled");
      button.disabled = false;
    }
  };

  // Bubble phase: htmx has already seen the submit and prevented the native one if it is its own.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-submit-once]")) return;
    if (form.dataset.busy === "true") {
      event.preventDefault();
      return;
    }
    if (!event.defaultPrevented) lock(form, { now: false });
  });

  // An htmx form is locked when its request really starts (after hx-confirm), not on submit.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-submit-once]")) return;
    if (form.dataset.busy === "true") {
      event.preventDefault();
      return;
    }
    lock(form, { now: true });
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.isConnected) return;
    const xhr = event.detail.xhr;
    const leaving = xhr && ["HX-Redirect", "HX-Location", "HX-Refresh"].some((h) => xhr.getResponseHeader(h));
    if (!leaving) unlock(form);
  });

  // Back to a page kept in the back/forward cache: its forms are as they were when it was left.
  window.addEventListener("pageshow", () => {
    for (const form of document.querySelectorAll("form[data-busy]")) unlock(form);
  });
})();

// 3. A page or fragment that comes back with form errors brings its error summary into view and
// focuses it (includes/error_summary.html: the count and a link to each field with errors), so
// an error far down a phone page is not missed; a form without a summary, its first error.
// A link in the summary focuses its field and shows the field with its label.
(() => {
  const SUMMARY = "form .error-summary";
  const FIRST_ERROR = "form [aria-invalid='true'], form .has-error, form .errorlist.nonfield";

  const showFirstError = (root) => {
    const summary = root.querySelector(SUMMARY);
    if (summary) {
      summary.scrollIntoView({ block: "start" });
      summary.focus({ preventScroll: true });
      return summary;
    }
    const found = root.querySelector(FIRST_ERROR);
    if (!found) return null;
    let target = found;
    if (found.classList.contains("has-error")) {
      target = found.querySelector("input:not([type=hidden]), select, textarea") || found;
    }
    if (!target.matches("input, select, textarea, button, a[href]")) target.tabIndex = -1;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    return target;
  };

  // Without this the browser scrolls the control itself to the top edge (its label out of
  // sight) and leaves the focus where it was.
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    const control = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!control) return;
    event.preventDefault();
    const field = control.closest(".field, fieldset") || control;
    field.scrollIntoView({ block: "center" });
    control.focus({ preventScroll: true });
  });

  document.addEventListener("DOMContentLoaded", () => {
    const target = showFirstError(document);
    // A page answered at a #fragment (action="…#acknowledge") has the browser blur the focus
    // when it scrolls to that fragment, after this runs: take the focus back once it has.
    if (target && location.hash) {
      window.addEventListener("load", () =>
        requestAnimationFrame(() => {
          if (document.activeElement !== target) target.focus({ preventScroll: true });
        }),
      );
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!event.detail.xhr || event.detail.xhr.status !== 422) return;
    // An outerHTML swap leaves the event's element detached: then look in the whole page.
    showFirstError(event.target.isConnected ? event.target : document);
  });
})();

// 4. A session that ended while a page was asking for a fragment (a poll, a form): htmx follows
// the redirect to the sign-in page and would put that whole page inside the fragment. The browser
// goes to the sign-in page instead, with its ?next= back to where the person was.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  const loginPath = document.body.dataset.loginUrl;
  if (!xhr || !xhr.responseURL || !loginPath) return;
  const answered = new URL(xhr.responseURL);
  if (answered.origin !== window.location.origin || answered.pathname !== loginPath) return;
  event.detail.shouldSwap = false;
  const back = new URL(answered.href);
  back.searchParams.set("next", window.location.pathname + window.location.search);
  window.location.assign(back.href);
});
