// The item page: copy buttons for its links, and "upload a new version" straight to S3 through the
// presigned POST flow; the versions list then shows the new one without a reload.
// Served by GET /scripts/dashboard_item.js (script-src 'self').
(() => {
  "use strict";

  // Copy: the clipboard API where the page may use it, else the text is selected for Ctrl+C.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = "Copied";
      } catch (error) {
        field.focus();
        field.select();
        button.textContent = "Selected: press Ctrl+C";
      }
      button.dataset.state = "copied";
    });
  }

  const panel = document.getElementById("versions");
  if (!panel) return;  // a bookmark has no versions
  const csrf = panel.dataset.csrf, item = panel.dataset.item;
  const picker = document.getElementById("new-version"), list = document.getElementById("version-list");
  const progress = document.getElementById("version-progress"), status = document.getElementById("version-status");

  async function call(url, init = {}) {
    const response = await fetch(url, {...init, credentials: "same-origin",
                                       headers: {Accept: "application/json", ...init.headers}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.errors && body.errors.message) || "The service answered " + response.status);
    return body;
  }

  // XMLHttpRequest, not fetch: only it reports upload progress.
  function toStorage(ticket, file) {
    return new Promise((resolve, reject) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(ticket.fields)) data.append(name, value);
      data.append("file", file);  // S3 ignores every field after the file
      const xhr = new XMLHttpRequest();
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress.value = Math.round(100 * event.loaded / event.total);
      });
      xhr.addEventListener("load", () => (xhr.status < 300 ? resolve() : reject(new Error("Storage refused the file."))));
      xhr.addEventListener("error", () => reject(new Error("The file did not reach storage.")));
      xhr.open("POST", ticket.url);
      xhr.send(data);
    });
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function show(answer) {
    const rows = answer.versions.map((version) => {
      const row = document.createElement("tr");
      row.dataset.version = String(version.number);
      const label = "version " + version.number + (version.name ? " (" + version.name + ")" : "");
      row.append(cell(label), cell(version.size), cell(version.created_at),
                 cell(version.current ? "current" : version.state));
      return row;
    });
    list.replaceChildren(...rows);
    document.getElementById("size").textContent = answer.item.size;
  }

  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    picker.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.className = "";
    status.textContent = "Uploading " + file.name + "…";
    try {
      const ticket = await call(item + "/versions", {
        method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams({csrf, name: file.name, file_size: String(file.size)}),
      });
      await toStorage(ticket, file);
      show(await call(item + "/versions/" + ticket.version));
      progress.value = 100;
      status.textContent = "version " + ticket.version + " is now current.";
    } catch (error) {
      status.textContent = error.message;
      status.className = "error";
    } finally {
      picker.disabled = false;
      picker.value = "";
    }
  });
})();
