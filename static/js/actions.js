// Site-wide behaviour declared in markup, so that no template needs an inline script or an
// on*= handler (the Content-Security-Policy allows scripts only from our static files):
//   <form data-confirm="…">      asks before the form is submitted;
//   <button data-confirm="…">    asks before that button submits its form;
//   <button data-print>          prints the page.
//   search boxes                 typed before the scripts ran get their results (below).
document.addEventListener("submit", function (e) {
  var form = e.target;
  var button = e.submitter;
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) e.preventDefault();
});
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) window.print();
});
// Search boxes (hx-trigger "… search"): text typed before the page's scripts ran, as on a slow
// phone, fired no input event that htmx could hear; ask for its results once htmx is ready.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  document.querySelectorAll("input[hx-trigger*='search']").forEach(function (input) {
    if (input.value.trim()) htmx.trigger(input, "search");
  });
});
