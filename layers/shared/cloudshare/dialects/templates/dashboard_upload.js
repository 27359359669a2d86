// The dashboard's uploads: files dropped anywhere on the page, or pasted, go straight to S3, three at a
// time, each with its progress and all of them with one overall; each new item joins the grid as soon as
// it is settled. Served by GET /dashboard/upload.js (the page's CSP allows no inline script).
// Small files take the presigned POST; from MULTIPART_FROM on, a file goes as a multipart upload: its
// File.slice() parts, PARTS_AT_ONCE at a time, to presigned UploadPart URLs asked in batches. The upload is
// remembered in localStorage (upload id, name, size, lastModified): the same file chosen or dropped again
// after a reload resumes, sending only the parts S3 does not hold; a changed file starts anew.
(() => {
  "use strict";
  const PARALLEL = 3;
  const MIB = 1024 * 1024;
  const MULTIPART_FROM = 16 * MIB;  // two parts at least (the server's parts are 8 MiB or more)
  const PARTS_AT_ONCE = 4;
  const URL_BATCH = 100;
  const URL_MAX_AGE_MS = 10 * 60 * 1000;  // the URLs last 15 minutes
  const SAVED = "cloudshare.multipart";  // localStorage: {file name: {upload_id, name, size, lastModified}}
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
  function send(path, body) {
    const headers = {"X-CSRF-Token": csrf};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return call(path, {method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body)});
  }

  function progressed(row, file, counted, done) {
    sent += done - counted;
    row.progress.value = Math.round(100 * row.bytes() / file.size);
    overall.value = total ? Math.round(100 * sent / total) : 100;
    return done;
  }

  // XMLHttpRequest, not fetch: only it reports upload progress. `onProgress(bytes)` as they go.
  function transfer(method, url, body, size, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(Math.round(size * event.loaded / event.total));
      });
      xhr.addEventListener("load", () => resolve(xhr));
      xhr.addEventListener("error", () => reject(new Error("The file did not reach storage.")));
      xhr.addEventListener("abort", () => reject(new Error("The upload was stopped.")));
      xhr.open(method, url);
      xhr.send(body);
    });
  }

  async function presignedPost(file, row) {
    const ticket = await call("/dashboard/uploads", {
      method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams({csrf, name: file.name || "pasted.png", file_size: String(file.size)}),
    });
    const data = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) data.append(name, value);
    data.append("file", file);  // S3 ignores every field after the file
    let counted = 0;
    row.bytes = () => counted;
    await transfer("POST", ticket.url, data, file.size, (done) => { counted = progressed(row, file, counted, done); });
    counted = progressed(row, file, counted, file.size);
    return call("/dashboard/uploads/" + encodeURIComponent(ticket.slug));
  }

  function saved() {
    try { return JSON.parse(localStorage.getItem(SAVED)) || {}; } catch (error) { return {}; }
  }

  function remember(file, uploadId) {
    const all = saved();
    if (uploadId) {
      all[file.name] = {upload_id: uploadId, name: file.name, size: file.size, lastModified: file.lastModified};
    } else {
      delete all[file.name];
    }
    localStorage.setItem(SAVED, JSON.stringify(all));
  }

  // The upload this file was being sent by before a reload, and the parts S3 holds; null: start anew.
  async function resumable(file) {
    const before = saved()[file.name];
    if (!before || before.size !== file.size || before.lastModified !== file.lastModified) return null;
    try {
      const held = await call("/dashboard/multipart/" + encodeURIComponent(before.upload_id) + "/parts");
      return {...held, held: held.parts.filter((part) => part.size === partLength(file, held, part.number))};
    } catch (error) {
      if (error.status === 404) return null;  // aborted, or swept past its deadline
      throw error;
    }
  }

  function partLength(file, upload, number) {
    return Math.min(upload.part_size, file.size - (number - 1) * upload.part_size);
  }

  async function multipart(file, row) {
    let upload = await resumable(file);
    if (upload) {
      row.status.textContent = `resuming: ${upload.held.length} of ${upload.part_count} parts already stored`;
    } else {
      upload = await send("/dashboard/multipart", {name: file.name || "pasted.png", file_size: file.size, content_type: file.type || undefined});
      upload.held = [];
      remember(file, upload.upload_id);
    }
    const id = encodeURIComponent(upload.upload_id);
    const stored = new Set(upload.held.map((part) => part.number));
    const missing = [];
    for (let number = 1; number <= upload.part_count; number += 1) if (!stored.has(number)) missing.push(number);
    const inFlight = new Map();  // part number -> bytes sent so far
    let finished = upload.held.reduce((sum, part) => sum + part.size, 0);
    row.bytes = () => finished + [...inFlight.values()].reduce((sum, bytes) => sum + bytes, 0);
    sent += finished;
    progressed(row, file, 0, 0);

    const urls = new Map();  // part number -> {url, at}
    let batch = null;
    async function urlFor(number) {
      const known = urls.get(number);
      if (known && Date.now() - known.at < URL_MAX_AGE_MS) return known.url;
      if (!batch) {
        const wanted = missing.slice(missing.indexOf(number), missing.indexOf(number) + URL_BATCH);
        batch = send("/dashboard/multipart/" + id + "/parts", {numbers: wanted}).then((answer) => {
          for (const part of answer.parts) urls.set(part.number, {url: part.url, at: Date.now()});
        }).finally(() => { batch = null; });
      }
      await batch;
      return urlFor(number);
    }

    async function sendPart(number, retried = false) {
      const start = (number - 1) * upload.part_size, size = partLength(file, upload, number);
      inFlight.set(number, 0);
      const xhr = await transfer("PUT", await urlFor(number), file.slice(start, start + size), size, (done) => {
        inFlight.set(number, progressed(row, file, inFlight.get(number), done));
      });
      if (xhr.status === 403 && !retried) {  // the URL expired: a new one, once
        sent -= inFlight.get(number);
        urls.delete(number);
        return sendPart(number, true);
      }
      if (xhr.status !== 200) throw new Error(`Storage refused part ${number} (${xhr.status}).`);
      progressed(row, file, inFlight.get(number), size);
      inFlight.delete(number);
      finished += size;
    }

    const waiting = [...missing];
    async function worker() {
      while (waiting.length) await sendPart(waiting.shift());
    }
    await Promise.all(Array.from({length: Math.min(PARTS_AT_ONCE, missing.length)}, worker));
    const item = await send("/dashboard/multipart/" + id + "/complete");
    remember(file, null);
    return item;
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
      const item = await (file.size >= MULTIPART_FROM ? multipart(file, row) : presignedPost(file, row));
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
      queue.push([file, {entry, progress, status, bytes: () => 0}]);
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
