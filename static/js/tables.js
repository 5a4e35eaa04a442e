// Ranking tables on a phone (templates/reports/ranking_table.html, year_summary.html): the less important columns
// are hidden by app.css until 显示全部列 is pressed; pressing again hides them.
document.addEventListener("click", function (e) {
  var button = e.target.closest("[data-cw-all-columns]");
  if (!button) return;
  var wrap = button.closest(".cw-ranking-wrap");
  var all = wrap.classList.toggle("cw-all");
  button.setAttribute("aria-expanded", all ? "true" : "false");
  button.textContent = all ? "只看名次和得分" : "显示全部列";
});
