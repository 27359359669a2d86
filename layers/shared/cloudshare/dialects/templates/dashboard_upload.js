// The dashboard's uploads: files dropped anywhere on the page, or pasted, go straight to S3, three at a
// time, each with its progress and all of them with one overall; each new item joins the grid as soon as
// it is settled. Served by GET /scripts/dashboard_upload.js, after multipart_upload.js: small files take the
// presigned POST, large ones a multipart upload (resumed after a reload) through /dashboard/multipart, whose
// JSON calls carry the session's CSRF token in X-CSRF-Token.
(() => {
  "use strict";
  const PARALLEL = 3;
  const uploads = window.cloudshareUploads;
  const panel = document.getElementById("uploads");
  const base = panel.dataset.base, csrf = panel.dataset.csrf;
  const list = document.getElementById("upload-list"), overall = document.getElementById("overall");
  const grid = document.getElementById("grid"), picker = document.getElementById("pick-files");
  const queue = [];
  let running = 0, total = 0, sent = 0;

  async function call(path, init = {}) {
    const response = await fetch(base + path, {...init, credentials: "same-origin",
                                               headers: {Accept: "application/json", ...init.headers}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((body.errors && body.errors.message) || "The service answered " + response.status);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // The multipart routes take JSON, with the session's CSRF token in a header.
  function send(method, path, body) {
    const headers = {"X-CSRF-Token": csrf};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return call(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  }

  // Bytes of this file in storage or on their way: its row's bar and the overall one.
  function progressor(file, row) {
    let counted = 0;
    return (bytes) => {
      sent += bytes - counted;
      counted = bytes;
      row.progress.value = Math.round(100 * bytes / file.size);
      overall.value = total ? Math.round(100 * sent / total) : 100;
    };
  }

  async function presignedPost(file, row) {
    const ticket = await call("/dashboard/uploads", {
      method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams({csrf, name: file.name || "pasted.png", file_size: String(file.size)}),
    });
    const data = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) data.append(name, value);
    data.append("file", file);  // S3 ignores every field after the file
    const onProgress = progressor(file, row);
    // Whatever the POST saw (S3 may redirect), the service says what became of the upload.
    await uploads.transfer("POST", ticket.url, data, file.size, onProgress).catch(() => null);
    onProgress(file.size);
    return call("/dashboard/uploads/" + encodeURIComponent(ticket.slug));
  }

  function multipart(file, row) {
    return uploads.send(file, {
      routes: "/dashboard/multipart",
      call: send,
      onProgress: progressor(file, row),
      onResume: (held, count) => { row.status.textContent = `resuming: ${held} of ${count} parts already stored`; },
    });
  }

  function addToGrid(item) {
    const entry = document.createElement("li"), link = document.createElement("a");
    const image = document.createElement("img"), caption = document.createElement("div");
    const name = document.createElement("span");
    entry.dataset.slug = item.slug;
    link.href = item.url;
    image.src = item.thumbnail_url;
    image.alt = "";
    caption.className = "caption";
    name.className = "name";
    name.textContent = item.name;
    caption.append(name);
    link.append(image, caption);
    entry.append(link);
    grid.prepend(entry);
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
    if (item.preview === "image") showThumbnailWhenMade(image, item.thumbnail_url);
  }

  // An image's thumbnail is made just after its upload settles; until then the route answers a
  // placeholder (200) where it will redirect to the thumbnail (a redirect fetch sees only as opaque).
  async function showThumbnailWhenMade(image, url) {
    for (let tries = 0; tries < 60; tries += 1) {
      const answer = await fetch(url, {redirect: "manual", credentials: "omit", cache: "no-store"}).catch(() => null);
      if (answer && answer.type === "opaqueredirect") {
        image.src = url + "?made=1";  // not the placeholder the browser may have cached
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function upload(file, row) {
    try {
      const item = await (file.size >= uploads.MULTIPART_FROM ? multipart(file, row) : presignedPost(file, row));
      row.progress.value = 100;
      row.status.textContent = "done";
      row.entry.dataset.state = "done";
      addToGrid(item);
    } catch (error) {
      row.status.textContent = error.message;
      row.status.className = "error";
      row.entry.dataset.state = "failed";
    }
  }

  function next() {
    while (running < PARALLEL && queue.length) {
      const [file, row] = queue.shift();
      running += 1;
      upload(file, row).finally(() => {
        running -= 1;
        if (!running && !queue.length) overall.value = 100;
        next();
      });
    }
  }

  function add(files) {
    panel.hidden = false;
    for (const file of files) {
      const entry = document.createElement("li"), label = document.createElement("span");
      const progress = document.createElement("progress"), status = document.createElement("span");
      label.textContent = file.name || "pasted image";
      progress.max = 100;
      progress.value = 0;
      entry.dataset.state = "uploading";
      entry.append(label, progress, status);
      list.append(entry);
      total += file.size;
      queue.push([file, {entry, progress, status}]);
    }
    next();
  }

  document.addEventListener("dragover", (event) => { event.preventDefault(); document.body.classList.add("dropping"); });
  document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    document.body.classList.remove("dropping");
    if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
  });
  document.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) add(files);
  });
  picker.addEventListener("change", () => { add(picker.files); picker.value = ""; });
})();
