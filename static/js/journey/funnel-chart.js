// The staff funnel: customers standing at each step, and failures, as a bar chart.
document.addEventListener("DOMContentLoaded", async () => {
  const canvas = document.getElementById("funnel-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const response = await fetch(canvas.dataset.source, { credentials: "same-origin" });
  if (!response.ok) return;
  const data = await response.json();
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Standing at this step", data: data.standing, backgroundColor: "#1f5fae" },
        { label: "Failed at this step", data: data.failed, backgroundColor: "#b42318" },
        { label: "Done", data: data.done, backgroundColor: "#1e7f4f" },
      ],
    },
    options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
});
