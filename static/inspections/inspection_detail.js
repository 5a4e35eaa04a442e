// Inspection page: picking a point opens its checklist.
document.addEventListener("click", function (e) {
  var btn = e.target.closest("[data-pick-point]");
  var box = document.getElementById("checklist-points");
  if (!btn || !box) return;
  e.preventDefault();
  window.location = box.dataset.checklistBase + btn.dataset.pickPoint + "/";
});
