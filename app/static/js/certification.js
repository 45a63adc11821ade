/* Charts of the 百千万 dashboard: each <canvas data-chart="line|bar" data-chart-data='{"labels":..}'> becomes a
   Chart.js chart (vendored). No inline script: the data travels in the data- attribute. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data;
    try { data = JSON.parse(canvas.getAttribute("data-chart-data")); } catch (e) { return; }
    var datasets = [{label: data.label, data: data.values, borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.35)"}];
    if (data.targets) {
      datasets.push({label: data.target_label, data: data.targets, backgroundColor: "rgba(108,117,125,.25)"});
    }
    new window.Chart(canvas, {
      type: canvas.getAttribute("data-chart"),
      data: {labels: data.labels, datasets: datasets},
      options: {responsive: true, maintainAspectRatio: true, plugins: {legend: {position: "bottom"}},
                scales: {y: {beginAtZero: true}}}
    });
  });
})();
