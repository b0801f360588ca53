// The full customer view keeps its history in closed <details>; a link to a section inside one
// (a risk flag, "Request history") opens it, so the link never lands on a hidden table.
(function () {
  function reveal() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }
  window.addEventListener("hashchange", reveal);
  document.addEventListener("DOMContentLoaded", reveal);
})();
