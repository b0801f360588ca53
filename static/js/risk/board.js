// The live risk board: new risks arrive as server-sent events and join the table and the chart.
document.addEventListener("DOMContentLoaded", async () => {
  const table = document.getElementById("risk-table");
  const rows = document.getElementById("risk-rows");
  const state = document.getElementById("live-state");
  const canvas = document.getElementById("risk-chart");
  let chart = null;

  if (canvas && typeof Chart !== "undefined") {
    const response = await fetch(canvas.dataset.source, { credentials: "same-origin" });
    if (response.ok) {
      const data = await response.json();
      chart = new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: canvas.dataset.red || "Red", data: data.red, backgroundColor: "#b42318" },
            { label: canvas.dataset.yellow || "Yellow", data: data.yellow, backgroundColor: "#b7791f" },
          ],
        },
        options: {
          responsive: true,
          animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }
  }

  const bump = (id) => {
    const el = document.getElementById(id);
    if (el) el.textContent = String(Number(el.textContent) + 1);
  };

  if (!table || typeof EventSource === "undefined") return;
  const source = new EventSource(table.dataset.stream);
  source.onopen = () => { state.textContent = state.dataset.live || "live"; state.dataset.state = "live"; };
  source.onerror = () => { state.textContent = state.dataset.reconnecting || "reconnecting…"; state.dataset.state = "reconnecting"; };
  source.addEventListener("risk", (message) => {
    const event = JSON.parse(message.data);
    if (document.getElementById(`risk-${event.pk}`)) return; // already shown
    rows.insertAdjacentHTML("afterbegin", event.html);
    document.getElementById("no-risks")?.setAttribute("hidden", "");
    bump(event.level === "red" ? "open-red" : "open-yellow");
    if (chart) {
      const day = event.occurred_at.slice(0, 10);
      const index = chart.data.labels.indexOf(day);
      if (index >= 0) {
        chart.data.datasets[event.level === "red" ? 0 : 1].data[index] += 1;
        chart.update();
      }
    }
  });
});
