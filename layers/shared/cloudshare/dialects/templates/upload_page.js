// The /upload page: one file, with the API key the user typed (kept in this tab's sessionStorage), straight
// to S3. Served by GET /scripts/upload_page.js, after multipart_upload.js: a small file takes the presigned
// POST of POST /v3/items; from MULTIPART_FROM on, a multipart upload through /api/v1/uploads (the same file
// chosen again after a reload resumes), then the item as GET /v3/items/{slug}/s3 shows it.
(() => {
  "use strict";
  const KEY = "cloudshare.apiKey";
  const $ = (id) => document.getElementById(id);
  const form = $("upload-form"), keyInput = $("api-key"), fileInput = $("file"), button = $("upload");
  const progress = $("progress"), status = $("status"), result = $("result"), shareLink = $("share-url");
  const api = form.dataset.api, uploads = window.cloudshareUploads;
  keyInput.value = sessionStorage.getItem(KEY) || "";
  keyInput.addEventListener("change", () => sessionStorage.setItem(KEY, keyInput.value.trim()));

  async function callApi(path, init = {}) {
    const headers = {Accept: "application/json", Authorization: "Bearer " + keyInput.value.trim(), ...init.headers};
    const response = await fetch(api + path, {...init, headers});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((body.errors && body.errors.message) || body.message || "The service answered " + response.status);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function sendJson(method, path, body) {
    const headers = body === undefined ? {} : {"Content-Type": "application/json"};
    return callApi(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  }

  function showProgress(percent) {
    progress.value = percent;
    progress.dataset.seen = (progress.dataset.seen ? progress.dataset.seen + " " : "") + progress.value;
  }

  async function presignedPost(file) {
    const ticket = await callApi("/v3/items", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: file.name, file_size: file.size}),
    });
    if (!ticket.s3) throw new Error("No uploads left today.");
    const data = new FormData();
    for (const [name, value] of Object.entries(ticket.s3)) data.append(name, value);
    // ticket.s3 holds the one Content-Type the policy lets S3 accept: the file's own label is not sent.
    data.append("file", file);  // S3 ignores every field after the file
    status.textContent = "Uploading…";
    const xhr = await uploads.transfer("POST", ticket.url, data, file.size,
                                       (bytes) => showProgress(Math.round(100 * bytes / file.size)))
      .catch(() => null);
    return {slug: ticket.slug, xhr};
  }

  async function multipart(file) {
    status.textContent = "Uploading in parts…";
    const done = await uploads.send(file, {
      routes: "/api/v1/uploads",
      call: sendJson,
      onProgress: (bytes) => showProgress(Math.round(100 * bytes / file.size)),
      onResume: (held, count) => { status.textContent = `Resuming: ${held} of ${count} parts already stored…`; },
    });
    return {slug: done.slug, xhr: null};
  }

  function storageError(xhr) {
    const message = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
    return message ? "Storage refused the file: " + message[1] : "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = fileInput.files[0];
    if (!file) return;
    sessionStorage.setItem(KEY, keyInput.value.trim());
    button.disabled = true;
    result.hidden = true;
    progress.hidden = false;
    progress.value = 0;
    progress.dataset.seen = "";
    status.className = "";
    try {
      status.textContent = "Asking for an upload slot…";
      const {slug, xhr} = await (file.size >= uploads.MULTIPART_FROM ? multipart(file) : presignedPost(file));
      // On success S3 answers 303 to /v3/items/<slug>/s3, which the browser follows without our key
      // (a 401 it may not even be allowed to read). So whatever the request saw, ask the service, with
      // the key, what became of the upload: that call also finalizes it if S3's event is still on its way.
      status.textContent = "Finishing…";
      const item = await callApi("/v3/items/" + encodeURIComponent(slug) + "/s3");
      if (item.upload_state !== "ready") {
        throw new Error(item.failure_reason || (xhr && storageError(xhr)) || "The file did not reach storage.");
      }
      progress.value = 100;
      shareLink.href = shareLink.textContent = item.share_url;
      result.hidden = false;
      status.textContent = "Uploaded " + item.name + ".";
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
