// The staff funnel: customers standing at each step, failures and finishers as bars, and the
// conversion from the first step as a line on its own 0-100 % axis.
document.addEventListener("DOMContentLoaded", async () => {
  const canvas = document.getElementById("funnel-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const response = await fetch(canvas.dataset.source, { credentials: "same-origin" });
  if (!response.ok) return;
  const data = await response.json();
  // Percentages arrive as decimal strings, or null where nobody reached the step.
  // The series' names come with the data, in the reader's language.
  const names = data.series || {};
  const percent = (values) => (values || []).map((v) => (v === null ? null : Number(v)));
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: names.standing || "Standing at this step", data: data.standing, backgroundColor: "#1f5fae", yAxisID: "y" },
        { label: names.failed || "Failed at this step", data: data.failed, backgroundColor: "#b42318", yAxisID: "y" },
        { label: names.done || "Done", data: data.done, backgroundColor: "#1e7f4f", yAxisID: "y" },
        {
          type: "line",
          label: names.conversion || "Conversion from the first step (%)",
          data: percent(data.conversion_pct),
          borderColor: "#b7791f",
          backgroundColor: "#b7791f",
          yAxisID: "percent",
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false, // the box's height (app.css .chart-box) holds on a phone too
      plugins: { legend: { position: "bottom" } },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Customers" } },
        percent: {
          position: "right",
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          ticks: { callback: (value) => `${value}%` },
        },
      },
    },
  });
});
