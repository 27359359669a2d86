// Passkeys (WebAuthn) for the sign-in page and the account page; served by GET /scripts/passkeys.js
// (script-src 'self'). The server speaks base64url inside JSON; the browser's API wants ArrayBuffers.
"use strict";
(function () {
  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    // The page's forms carry the token (the sign-in form's, or the session's): the script sends the same one.
    return document.querySelector('input[name="csrf"]').value;
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
    const answer = await response.json().catch(() => ({}));
    const refusal = answer.errors && answer.errors.message;
    if (!response.ok) throw new Error(refusal || "The service refused (" + response.status + ")");
    return answer;
  }

  function credentialJson(credential) {
    const response = credential.response;
    const encoded = { clientDataJSON: toText(response.clientDataJSON) };
    if (response.attestationObject) {
      encoded.attestationObject = toText(response.attestationObject);
      if (response.getTransports) encoded.transports = response.getTransports();
    } else {
      encoded.authenticatorData = toText(response.authenticatorData);
      encoded.signature = toText(response.signature);
      if (response.userHandle) encoded.userHandle = toText(response.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: encoded,
      authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  }

  async function register(button) {
    const options = await post(button.dataset.options, { csrf: csrf() });
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    const credential = await navigator.credentials.create({ publicKey: options });
    const name = document.getElementById("passkey-name").value;
    return post(button.dataset.finish, { csrf: csrf(), name: name, credential: credentialJson(credential) });
  }

  async function signIn(button) {
    const options = await post(button.dataset.options, { csrf: csrf() });
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    const credential = await navigator.credentials.get({ publicKey: options });
    return post(button.dataset.finish, { csrf: csrf(), credential: credentialJson(credential) });
  }

  function wire(id, ceremony) {
    const button = document.getElementById(id);
    if (!button) return;
    const error = document.getElementById("passkey-error");
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      error.textContent = "This browser does not support passkeys.";
      error.hidden = false;
      return;
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      error.hidden = true;
      try {
        const done = await ceremony(button);
        window.location.assign(done.location);
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        button.disabled = false;
      }
    });
  }

  wire("add-passkey", register);
  wire("passkey-sign-in", signIn);
})();
