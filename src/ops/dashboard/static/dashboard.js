// ktrade dashboard: refresh the server-rendered panels, and confirm each control before sending.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const every = Number(document.querySelector('meta[name="refresh-ms"]').content) || 2000;
  const dialog = document.getElementById("confirm");
  const result = document.getElementById("result");
  let pending = null;
  let busy = false;

  async function refresh() {
    if (busy) return; // a slow answer must not pile up requests behind it
    busy = true;
    try {
      const reply = await fetch("/api/panels", { headers: { Accept: "application/json" } });
      if (reply.status === 401) {
        window.location.href = "/login";
        return;
      }
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      const panels = await reply.json();
      for (const [name, html] of Object.entries(panels)) {
        const element = document.querySelector(`[data-panel="${name}"]`);
        if (element && element.innerHTML !== html) element.innerHTML = html;
      }
      document.body.classList.remove("stale");
    } catch (error) {
      document.body.classList.add("stale"); // the page says its figures may be old
    } finally {
      busy = false;
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.control");
    if (!button) return;
    pending = { action: button.dataset.action, symbol: button.dataset.symbol || null };
    document.getElementById("confirm-text").textContent = button.dataset.confirm;
    dialog.showModal();
  });

  document.getElementById("confirm-no").addEventListener("click", () => {
    pending = null;
    dialog.close();
  });

  document.getElementById("confirm-yes").addEventListener("click", async () => {
    const job = pending;
    pending = null;
    dialog.close();
    if (!job) return;
    result.className = "muted";
    result.textContent = `${job.action}: working...`;
    try {
      const reply = await fetch(`/api/control/${job.action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ confirm: true, symbol: job.symbol }),
      });
      const body = await reply.json();
      result.className = body.ok ? "ok" : "bad";
      result.textContent = `${job.action}: ${body.ok ? "done" : "FAILED"}: ${body.message}`;
    } catch (error) {
      result.className = "bad";
      result.textContent = `${job.action}: no answer (${error})`;
    }
    result.dataset.done = job.action;
    refresh();
  });

  setInterval(refresh, every);
})();
