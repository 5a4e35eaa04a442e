// Checklist page: a 不合格 answer opens the item's finding details.
document.addEventListener("change", function (e) {
  if (!e.target.matches("[data-result]")) return;
  var card = e.target.closest(".checklist-item");
  card.querySelector(".fail-details").classList.toggle("d-none", e.target.value !== "fail");
});
