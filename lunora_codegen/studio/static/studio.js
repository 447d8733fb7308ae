// lunora studio: the little JavaScript the pages need. No build step, no dependencies.
// Every state-changing request carries the per-run token from the page's <meta> tag.
(function () {
  "use strict";

  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";
  const TOKEN = meta("lunora-studio-token");
  const TOKEN_HEADER = meta("lunora-studio-token-header");

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", [TOKEN_HEADER]: TOKEN },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (_) { /* empty or non-JSON body */ }
    return { ok: response.ok, status: response.status, data };
  }

  function showErrors(form, errors) {
    form.querySelectorAll("[data-error-for]").forEach((p) => {
      const message = errors[p.dataset.errorFor];
      p.textContent = message || "";
      p.hidden = !message;
      const field = p.closest(".field");
      if (field) field.classList.toggle("invalid", Boolean(message));
    });
  }

  // Live updates: server-sent events, falling back to polling when EventSource is missing.
  function live(url, onUpdate) {
    const indicator = document.getElementById("live-indicator");
    if (window.EventSource) {
      const source = new EventSource(url);
      source.addEventListener("update", (e) => onUpdate(JSON.parse(e.data)));
      source.onopen = () => indicator && indicator.classList.remove("offline");
      source.onerror = () => indicator && indicator.classList.add("offline");
      window.addEventListener("pagehide", () => source.close());
      return;
    }
    const poll = async () => {
      try {
        const r = await fetch(url + (url.includes("?") ? "&" : "?") + "limit=1");
        const text = await r.text();
        const line = text.split("\n").find((l) => l.startsWith("data: "));
        if (line) onUpdate(JSON.parse(line.slice(6)));
      } catch (_) { /* server restarting: try again */ }
      setTimeout(poll, 1000);
    };
    poll();
  }

  // ---------------------------------------------------------------- Start page
  function startPage(form) {
    const tabs = form.querySelectorAll("[data-tab]");
    tabs.forEach((tab) => tab.addEventListener("click", () => {
      const mode = tab.dataset.tab;
      if (mode === "json" && form.dataset.mode === "fields") {
        // Carry what the form holds over to the editor so switching never loses input.
        const values = {};
        form.querySelectorAll('[data-panel="fields"] [name]').forEach((el) => {
          if (el.type === "checkbox") values[el.name] = el.checked;
          else if (el.value !== "") {
            values[el.name] = el.inputMode === "numeric" || el.inputMode === "decimal"
              ? Number(el.value) : el.tagName === "TEXTAREA" ? safeJson(el.value) : el.value;
          }
        });
        form.querySelector("#params-json").value = JSON.stringify(values, null, 2);
      }
      form.dataset.mode = mode;
      tabs.forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
      form.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== mode; });
    }));

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = document.getElementById("start-status");
      const button = document.getElementById("start-submit");
      const body = { id: form.querySelector("#instance-id").value };
      if (form.dataset.mode === "fields") {
        body.fields = {};
        form.querySelectorAll('[data-panel="fields"] [name]').forEach((el) => {
          body.fields[el.name] = el.type === "checkbox" ? el.checked : el.value;
        });
      } else {
        body.params_json = form.querySelector("#params-json").value;
      }
      button.disabled = true;
      status.textContent = "Starting…";
      const result = await post(`/api/workflows/${encodeURIComponent(form.dataset.export)}/instances`, body);
      button.disabled = false;
      if (result.ok) {
        showErrors(form, {});
        status.textContent = `Started ${result.data.instance.id}`;
        window.location.assign(result.data.url);
        return;
      }
      const errors = result.data.errors || { "": result.data.error || `HTTP ${result.status}` };
      if (form.dataset.mode === "json") {
        // Field errors from the JSON editor are shown under the editor, labelled by field.
        const lines = Object.entries(errors)
          .filter(([k]) => k !== "id")
          .map(([k, v]) => (k && k !== "_json" ? `${k}: ${v}` : v));
        showErrors(form, { _json: lines.join("\n"), id: errors.id });
      } else {
        showErrors(form, errors);
      }
      status.textContent = "Not started: fix the highlighted fields.";
    });
    // Rendered disabled so that nothing is clickable before these handlers exist.
    form.querySelectorAll("[data-tab], #start-submit").forEach((b) => { b.disabled = false; });
  }

  function safeJson(text) {
    try { return JSON.parse(text); } catch (_) { return text; }
  }

  // ---------------------------------------------------------------- Instances page
  function instancesPage(table) {
    document.querySelectorAll("[data-autosubmit]").forEach((el) =>
      el.addEventListener("change", () => el.form.submit()));
    const rows = document.getElementById("instance-rows");
    live(table.dataset.stream, (data) => { if (data.html !== undefined) rows.innerHTML = data.html; });
  }

  // ---------------------------------------------------------------- Instance page
  function instancePage(section) {
    const { export: exportName, id } = section.dataset;
    const base = `/api/instances/${encodeURIComponent(exportName)}/${encodeURIComponent(id)}`;
    const detail = document.getElementById("instance-detail");
    const head = document.getElementById("instance-head");
    const eventType = document.getElementById("event-type");
    const eventStatus = document.getElementById("event-status");

    const setStatus = (status) => {
      section.dataset.status = status;
      const terminal = ["complete", "errored", "terminated"].includes(status);
      section.querySelector('[data-action="pause"]').disabled = terminal || status === "paused";
      section.querySelector('[data-action="resume"]').disabled = status !== "paused";
      section.querySelector('[data-action="terminate"]').disabled = terminal;
      document.getElementById("event-submit").disabled = terminal;
    };
    setStatus(section.dataset.status);

    live(section.dataset.stream, (data) => {
      if (data.html !== undefined) detail.innerHTML = data.html;
      if (data.head !== undefined) head.innerHTML = data.head;
      if (data.status) setStatus(data.status);
      if (data.waiting_for && data.waiting_for.length && !eventType.value) eventType.value = data.waiting_for[0];
    });

    section.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", async () => {
      const action = button.dataset.action;
      if (action === "terminate" && !window.confirm(`Terminate ${id}?`)) return;
      button.disabled = true;
      const result = await post(`${base}/status`, { action });
      eventStatus.textContent = result.ok ? `${action}: ${result.data.instance.status}` : (result.data.error || `HTTP ${result.status}`);
      if (result.ok) setStatus(result.data.instance.status); else button.disabled = false;
    }));

    const form = document.getElementById("event-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await post(`${base}/events`, {
        type: eventType.value.trim(),
        payload_json: document.getElementById("event-payload").value,
      });
      showErrors(form, result.ok ? {} : (result.data.errors || { payload: result.data.error }));
      eventStatus.textContent = result.ok ? `Sent "${result.data.type}".` : "Not sent.";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("start-form");
    if (form) startPage(form);
    const table = document.getElementById("instances");
    if (table) instancesPage(table);
    const section = document.getElementById("instance");
    if (section) instancePage(section);
  });
})();
