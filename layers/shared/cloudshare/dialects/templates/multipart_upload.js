// Multipart uploads from the browser, shared by the dashboard's uploader and the /upload page (served by
// GET /scripts/multipart_upload.js; the pages' CSP allows only this service's scripts). A file goes to S3 in
// File.slice() parts, PARTS_AT_ONCE at a time, each PUT to a presigned UploadPart URL asked for in batches.
// The upload is remembered in localStorage ({upload_id, name, size, lastModified}, under the file's name):
// the same file chosen or dropped again, after a reload too, resumes, sending only the parts S3 does not hold;
// a changed file (another size or lastModified) starts anew. Completing uses the parts S3 lists (the bucket's
// CORS exposes no ETag).
(() => {
  "use strict";
  const MIB = 1024 * 1024;
  const PARTS_AT_ONCE = 4;
  const URL_BATCH = 100;
  const URL_MAX_AGE_MS = 10 * 60 * 1000;  // the URLs last 15 minutes
  const SAVED = "cloudshare.multipart";

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

  function partLength(file, upload, number) {
    return Math.min(upload.part_size, file.size - (number - 1) * upload.part_size);
  }

  // The upload this file was being sent by (before a reload), with the parts S3 holds; null: start anew.
  async function resumable(file, routes, call) {
    const before = saved()[file.name];
    if (!before || before.size !== file.size || before.lastModified !== file.lastModified) return null;
    try {
      const held = await call("GET", routes + "/" + encodeURIComponent(before.upload_id) + "/parts");
      return {...held, held: held.parts.filter((part) => part.size === partLength(file, held, part.number))};
    } catch (error) {
      if (error.status === 404) return null;  // aborted, or swept past its deadline
      throw error;
    }
  }

  // Sends `file` through the upload routes under `routes` ("/api/v1/uploads" or "/dashboard/multipart");
  // call(method, path, body) answers a route's JSON or throws an Error with its HTTP `status`.
  // onProgress(bytes of the file in storage or on their way); onResume(parts held, parts in all).
  // Answers what completing answered.
  async function send(file, {routes, call, onProgress, onResume}) {
    let upload = await resumable(file, routes, call);
    if (upload) {
      onResume(upload.held.length, upload.part_count);
    } else {
      upload = await call("POST", routes, {name: file.name || "pasted.png", file_size: file.size,
                                           content_type: file.type || undefined});
      upload.held = [];
      remember(file, upload.upload_id);
    }
    const path = routes + "/" + encodeURIComponent(upload.upload_id);
    const stored = new Set(upload.held.map((part) => part.number));
    const missing = [];
    for (let number = 1; number <= upload.part_count; number += 1) if (!stored.has(number)) missing.push(number);
    const inFlight = new Map();  // part number -> its bytes sent so far
    let finished = upload.held.reduce((sum, part) => sum + part.size, 0);
    const progressed = () => onProgress(finished + [...inFlight.values()].reduce((sum, bytes) => sum + bytes, 0));
    progressed();

    const urls = new Map();  // part number -> {url, at}
    let batch = null;
    async function urlFor(number) {
      const known = urls.get(number);
      if (known && Date.now() - known.at < URL_MAX_AGE_MS) return known.url;
      if (!batch) {
        const from = missing.indexOf(number);
        batch = call("POST", path + "/parts", {numbers: missing.slice(from, from + URL_BATCH)}).then((answer) => {
          for (const part of answer.parts) urls.set(part.number, {url: part.url, at: Date.now()});
        }).finally(() => { batch = null; });
      }
      await batch;
      return urlFor(number);
    }

    async function sendPart(number, retried = false) {
      const start = (number - 1) * upload.part_size, size = partLength(file, upload, number);
      inFlight.set(number, 0);
      const xhr = await transfer("PUT", await urlFor(number), file.slice(start, start + size), size, (bytes) => {
        inFlight.set(number, bytes);
        progressed();
      });
      if (xhr.status === 403 && !retried) {  // the URL expired: a new one, once
        urls.delete(number);
        return sendPart(number, true);
      }
      if (xhr.status !== 200) throw new Error(`Storage refused part ${number} (${xhr.status}).`);
      inFlight.delete(number);
      finished += size;
      progressed();
    }

    const waiting = [...missing];
    async function worker() {
      while (waiting.length) await sendPart(waiting.shift());
    }
    await Promise.all(Array.from({length: Math.min(PARTS_AT_ONCE, missing.length)}, worker));
    const completed = await call("POST", path + "/complete");
    remember(file, null);
    return completed;
  }

  // Files from this size on go in parts (two at least: the service's parts are 8 MiB or more).
  window.cloudshareUploads = {MULTIPART_FROM: 16 * MIB, send, transfer};
})();
